/**
 * MetadataQuorum: the metadata log as a replicated state machine. It owns
 * the node's Raft storage, driver and transport, applies committed entries
 * to the MetadataImage and publishes each new image to the listeners (the
 * broker side), in order, one at a time.
 *
 * - `commit(records)` (leader only) proposes one entry per record and
 *   resolves once they are committed by the quorum, applied and published
 *   here; it rejects with NOT_CONTROLLER on a follower, or when leadership is
 *   lost before that (the records may still be committed by the next leader,
 *   as in KRaft).
 * - The leader is *active* (may decide) once it has applied everything up
 *   to the marker entry that starts its term, so its image holds every
 *   committed change before it decides from it.
 * - `waitPublished(offset)` lets a node answer a forwarded change only when
 *   its own image shows it.
 * - Snapshots: when the log since the last snapshot exceeds
 *   metadata.log.max.record.bytes.between.snapshots, the applied image is
 *   written as a checkpoint and the log start moves up to it.
 */
import type { Logger } from 'pino';
import { KafkaError } from '../api/error-codes.js';
import type { Clock } from '../platform/clock.js';
import type { Random } from '../platform/random.js';
import type { Address, KafkaClientPool } from '../platform/kafka-client.js';
import { MetadataImage } from './metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord, type MetadataRecordInput } from './metadata-records.js';
import { decodeSnapshot, encodeSnapshot } from './snapshot-file.js';
import { imageToRecordValues } from './image-records.js';
import { FileRaftStorage } from './file-raft-storage.js';
import { RaftDriver, type RaftStateMachine, type RaftTimings } from './raft-driver.js';
import { RaftTransport } from './raft-transport.js';
import type { RaftStatus } from './raft/node.js';
import { NO_NODE, type Entry, type Snapshot, type SoftState } from './raft/types.js';

export type ImageListener = (image: MetadataImage) => Promise<void> | void;

export interface MetadataQuorumOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  /** …/__cluster_metadata-0 */
  readonly dir: string;
  readonly voterIds: readonly number[];
  readonly addresses: ReadonlyMap<number, Address>;
  readonly endpoints: ReadonlyArray<{ name: string; host: string; port: number }>;
  readonly timings: RaftTimings;
  readonly snapshotBytes: number;
  readonly pool: KafkaClientPool;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
}

interface Waiter {
  offset: number;
  resolve(): void;
  reject(err: unknown): void;
}

export class MetadataQuorum implements RaftStateMachine {
  #image = MetadataImage.empty();
  readonly #listeners: ImageListener[] = [];
  /** Offset of the last image every listener has seen. */
  #published = -1;
  #pendingImage: MetadataImage | null = null;
  #publishing = false;
  #publishWaiters: Waiter[] = [];
  /** Commits waiting to be published; rejected if leadership is lost first. */
  #proposals: Waiter[] = [];
  #leaderTerm = -1;
  #termStartIndex = Number.POSITIVE_INFINITY;
  #stopped = false;
  readonly storage: FileRaftStorage;
  readonly driver: RaftDriver;
  readonly transport: RaftTransport;

  private constructor(
    private readonly o: MetadataQuorumOptions,
    storage: FileRaftStorage,
  ) {
    this.storage = storage;
    this.transport = new RaftTransport({
      selfId: o.nodeId,
      clusterId: o.clusterId,
      storage,
      pool: o.pool,
      voters: o.addresses,
      endpoints: o.endpoints,
      clock: o.clock,
      logger: o.logger.child({ component: 'raft-transport' }),
    });
    this.driver = new RaftDriver({
      id: o.nodeId,
      voters: o.voterIds,
      storage,
      stateMachine: this,
      timings: o.timings,
      clock: o.clock,
      random: o.random,
      logger: o.logger.child({ component: 'raft' }),
      send: (m) => this.transport.send(m),
      onSoftState: (s, term) => this.#onSoftState(s, term),
      onFatal: () => this.#failAll(new KafkaError('NOT_CONTROLLER', 'the metadata log failed on this node')),
    });
    this.transport.attach(this.driver);
    const snap = storage.snapshot();
    if (snap.meta.index > 0) this.restore(snap);
  }

  static async open(o: MetadataQuorumOptions): Promise<MetadataQuorum> {
    const storage = await FileRaftStorage.open({ dir: o.dir, clusterId: o.clusterId, voters: o.voterIds, logger: o.logger, clock: o.clock });
    return new MetadataQuorum(o, storage);
  }

  start(): void {
    this.driver.start();
    this.transport.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#failAll(new KafkaError('NOT_CONTROLLER', 'the controller is shutting down'));
    await this.transport.stop();
    await this.driver.stop();
    this.#failAll(new KafkaError('NOT_CONTROLLER', 'the controller is shutting down'));
    await this.storage.close();
  }

  image(): MetadataImage {
    return this.#image;
  }

  onImage(fn: ImageListener): void {
    this.#listeners.push(fn);
  }

  status(): RaftStatus {
    return this.driver.peekStatus();
  }

  get leaderId(): number {
    return this.driver.peekStatus().leaderId;
  }

  isLeader(): boolean {
    return this.driver.softState.role === 'leader' && !this.driver.stopped;
  }

  /** Leader that has applied its own term's first entry: its image is current. */
  isActive(): boolean {
    return this.isLeader() && this.#image.offset >= this.#termStartIndex - 1;
  }

  /**
   * Resolves once this node is the active controller; NOT_CONTROLLER if it
   * is not the leader, or loses leadership first (a leader cut off from the
   * quorum never commits its term's first entry and steps down at the next
   * check-quorum).
   */
  async awaitActive(): Promise<void> {
    if (!this.isLeader()) throw new KafkaError('NOT_CONTROLLER', `node ${this.o.nodeId} is not the active controller (leader: ${this.leaderId})`);
    if (this.isActive()) return;
    await this.#waitFor(this.#proposals, this.#termStartIndex - 1);
  }

  /** Resolves once the local image (listeners included) has reached `offset`. */
  waitPublished(offset: number): Promise<void> {
    return this.#waitFor(this.#publishWaiters, offset);
  }

  get publishedOffset(): number {
    return this.#published;
  }

  #waitFor(list: Waiter[], offset: number): Promise<void> {
    if (this.#published >= offset) return Promise.resolve();
    if (this.#stopped) return Promise.reject(new KafkaError('NOT_CONTROLLER', 'the controller is shutting down'));
    return new Promise((resolve, reject) => list.push({ offset, resolve, reject }));
  }

  /** Commits records as one change (leader only); resolves when applied and published here. Returns the last offset. */
  async commit(records: readonly MetadataRecordInput[]): Promise<number> {
    if (records.length === 0) return this.#image.offset;
    const res = await this.driver.propose(records.map(encodeMetadataRecord));
    if (!res.ok) {
      throw new KafkaError('NOT_CONTROLLER', res.error === 'NOT_LEADER' ? `node ${this.o.nodeId} is not the active controller (leader: ${res.leaderId})` : res.error);
    }
    const offset = res.lastIndex - 1;
    if (res.term !== this.#leaderTerm) throw new KafkaError('NOT_CONTROLLER', 'leadership changed while proposing');
    await this.#waitFor(this.#proposals, offset);
    return offset;
  }

  // ------------------------------------------------------------ RaftStateMachine (driver queue)

  restore(snapshot: Snapshot): void {
    const bytes = Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength);
    const records = decodeSnapshot(bytes).map(decodeMetadataRecord).filter((r): r is MetadataRecord => r !== null);
    this.#image = MetadataImage.empty().replay(records, snapshot.meta.index - 1);
    this.#schedulePublish();
  }

  apply(entries: readonly Entry[]): void {
    const records: MetadataRecord[] = [];
    for (const e of entries) {
      if (e.data.length === 0) continue;
      const rec = decodeMetadataRecord(Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
      if (rec) records.push(rec);
    }
    this.#image = this.#image.replay(records, entries[entries.length - 1]!.index - 1);
    this.#schedulePublish();
  }

  snapshotDue(): { index: number; bytes: Buffer } | null {
    const index = this.#image.offset + 1;
    if (this.storage.bytesSinceSnapshot < this.o.snapshotBytes || index <= this.storage.firstIndex() - 1 || index > this.storage.lastIndex()) return null;
    const term = this.storage.term(index);
    if (term === undefined) return null;
    return { index, bytes: encodeSnapshot(imageToRecordValues(this.#image), term, this.o.clock.now()) };
  }

  #onSoftState(s: SoftState, term: number): void {
    this.transport.onSoftState(s, term);
    if (s.role === 'leader') {
      this.#leaderTerm = term;
      this.#termStartIndex = this.driver.peekStatus().lastIndex;
      this.o.logger.info({ nodeId: this.o.nodeId, term }, 'became the active controller (leader of the metadata quorum)');
    } else {
      if (this.#leaderTerm !== -1) this.o.logger.info({ nodeId: this.o.nodeId, term, leader: s.leaderId }, 'no longer the metadata quorum leader');
      this.#leaderTerm = -1;
      this.#termStartIndex = Number.POSITIVE_INFINITY;
      const lost = this.#proposals;
      this.#proposals = [];
      const err = new KafkaError('NOT_CONTROLLER', `leadership moved to ${s.leaderId === NO_NODE ? 'an unknown node' : `node ${s.leaderId}`}`);
      for (const w of lost) w.reject(err);
    }
  }

  // ------------------------------------------------------------ publishing

  #schedulePublish(): void {
    this.#pendingImage = this.#image;
    if (this.#publishing) return;
    this.#publishing = true;
    void this.#publishLoop();
  }

  async #publishLoop(): Promise<void> {
    while (this.#pendingImage) {
      const img = this.#pendingImage;
      this.#pendingImage = null;
      for (const l of this.#listeners) {
        try {
          await l(img);
        } catch (err) {
          this.o.logger.error({ err, offset: img.offset }, 'a metadata image listener failed');
        }
      }
      this.#published = Math.max(this.#published, img.offset);
      this.#publishWaiters = this.#release(this.#publishWaiters);
      this.#proposals = this.#release(this.#proposals);
    }
    this.#publishing = false;
  }

  #release(list: Waiter[]): Waiter[] {
    const keep: Waiter[] = [];
    for (const w of list) {
      if (w.offset <= this.#published) w.resolve();
      else keep.push(w);
    }
    return keep;
  }

  #failAll(err: unknown): void {
    for (const w of [...this.#proposals.splice(0), ...this.#publishWaiters.splice(0)]) w.reject(err);
  }
}
