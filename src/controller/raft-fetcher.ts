/**
 * The follower's and observer's side of KRaft replication: a loop that
 * fetches the metadata log from the leader (KIP-595: followers pull).
 *
 * Each Fetch says where this log ends (FetchOffset = log end offset,
 * LastFetchedEpoch = epoch of its last record). The answer is turned into
 * what the push-style core expects from a leader:
 * - records: an append (prev = the fetch position, which the leader found
 *   in its own log) carrying the high watermark as the commit index;
 * - no records: a heartbeat committing up to min(high watermark, position);
 * - DivergingEpoch {epoch, endOffset}: the next fetch starts at
 *   min(endOffset, this log's end offset for that epoch), KRaft's truncation
 *   point; the entries that then arrive overwrite the divergent suffix;
 * - SnapshotId: the snapshot is fetched in chunks (FetchSnapshot) and
 *   stepped in as the leader's snapshot;
 * - an error naming a newer leader: stepped as a heartbeat from it, so the
 *   node follows it (KRaft does the same with the CurrentLeader field).
 * When no leader is known, fetches go round the voters to discover it.
 */
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.js';
import type { Address, KafkaClientPool } from '../platform/kafka-client.js';
import type { PartitionData } from '../protocol/generated/fetch-response.js';
import type { SnapshotId } from '../protocol/generated/fetch-snapshot-request.js';
import type { RaftDriver } from './raft-driver.js';
import type { FileRaftStorage } from './file-raft-storage.js';
import { decodeEntries, METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID } from './metadata-batches.js';
import { FETCH_SNAPSHOT_VERSION, FETCH_VERSION, RAFT_FETCH_MAX_BYTES, RAFT_FETCH_MAX_WAIT_MS, SNAPSHOT_CHUNK_BYTES } from './raft-wire.js';
import { NO_NODE } from './raft/types.js';

const RETRY_BACKOFF_MS = 100;
const NO_LEADER_BACKOFF_MS = 200;
const REQUEST_SLACK_MS = 5000;

export interface RaftFetcherOptions {
  readonly selfId: number;
  readonly clusterId: string;
  readonly driver: RaftDriver;
  readonly storage: FileRaftStorage;
  readonly pool: KafkaClientPool;
  readonly voters: ReadonlyMap<number, Address>;
  readonly clock: Clock;
  readonly logger: Logger;
}

interface Position {
  offset: number;
  epoch: number;
}

export class RaftFetcher {
  readonly #o: RaftFetcherOptions;
  #running = false;
  #loop: Promise<void> | null = null;
  /** Where to fetch from after a DivergingEpoch answer (instead of the log end). */
  #hint: Position | null = null;
  #rotation = 0;
  /** Failed fetches in a row: after one, ask the other voters too (the leader may be gone; an observer never times out on its own). */
  #failures = 0;

  constructor(opts: RaftFetcherOptions) {
    this.#o = opts;
  }

  start(): void {
    if (this.#running || this.#o.voters.size === 0) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#o.clock.setTimeout(resolve, ms));
  }

  async #run(): Promise<void> {
    while (this.#running && !this.#o.driver.stopped) {
      try {
        await this.#once();
      } catch (err) {
        this.#o.logger.debug({ err: (err as Error).message }, 'metadata fetch failed');
        this.#rotation += 1;
        this.#failures += 1;
        await this.#sleep(RETRY_BACKOFF_MS);
      }
    }
  }

  /** Round-robin over the other voters, to find the leader. */
  #bootstrapTarget(): number | undefined {
    const others = [...this.#o.voters.keys()].filter((id) => id !== this.#o.selfId);
    if (others.length === 0) return undefined;
    return others[this.#rotation % others.length];
  }

  async #once(): Promise<void> {
    const { driver, storage, selfId } = this.#o;
    const st = driver.peekStatus();
    if (st.role === 'leader') {
      this.#hint = null;
      await driver.waitForChange(1000);
      return;
    }
    const known = st.leaderId !== NO_NODE && st.leaderId !== selfId;
    const target = known && this.#failures === 0 ? st.leaderId : this.#bootstrapTarget();
    const address = target === undefined ? undefined : this.#o.voters.get(target);
    if (target === undefined || !address) {
      await this.#sleep(NO_LEADER_BACKOFF_MS);
      return;
    }
    const last = storage.lastIndex();
    const pos = this.#hint ?? { offset: last, epoch: storage.term(last) ?? 0 };
    const resp = await this.#o.pool.request(
      address,
      'raft-fetch',
      1,
      FETCH_VERSION,
      {
        clusterId: this.#o.clusterId,
        replicaState: { replicaId: selfId, replicaEpoch: -1n },
        maxWaitMs: RAFT_FETCH_MAX_WAIT_MS,
        minBytes: 0,
        maxBytes: RAFT_FETCH_MAX_BYTES,
        topics: [
          {
            topicId: METADATA_TOPIC_ID,
            partitions: [
              { partition: METADATA_PARTITION, currentLeaderEpoch: st.term, fetchOffset: BigInt(pos.offset), lastFetchedEpoch: pos.epoch, logStartOffset: -1n, partitionMaxBytes: RAFT_FETCH_MAX_BYTES },
            ],
          },
        ],
      },
      RAFT_FETCH_MAX_WAIT_MS + REQUEST_SLACK_MS,
    );
    const pd = resp.responses[0]?.partitions[0];
    if (resp.errorCode !== 0 || !pd) {
      this.#o.logger.debug({ target, errorCode: resp.errorCode }, 'metadata fetch refused');
      this.#rotation += 1;
      await this.#sleep(RETRY_BACKOFF_MS);
      return;
    }
    this.#failures = pd.errorCode === 0 ? 0 : this.#failures + 1;
    await this.#handle(target, pos, st.term, pd);
  }

  async #handle(target: number, pos: Position, term: number, pd: PartitionData): Promise<void> {
    const { driver, storage, selfId } = this.#o;
    const leaderId = pd.currentLeader.leaderId;
    const epoch = pd.currentLeader.leaderEpoch;
    if (pd.errorCode !== 0) {
      const st = driver.peekStatus();
      const newer = epoch > st.term || (epoch === st.term && st.leaderId === NO_NODE);
      if (leaderId >= 0 && leaderId !== selfId && this.#o.voters.has(leaderId) && newer) {
        await driver.step({ type: 'heartbeat-request', from: leaderId, to: selfId, term: epoch, commit: 0 });
      } else {
        this.#rotation += 1;
        await this.#sleep(RETRY_BACKOFF_MS);
      }
      return;
    }
    if (leaderId !== target || epoch < term) return; // not an answer from the leader we asked
    if (pd.snapshotId.endOffset >= 0n) {
      await this.#installSnapshot(target, epoch, pd.snapshotId);
      return;
    }
    if (pd.divergingEpoch.epoch >= 0) {
      const ours = storage.endOffsetForEpoch(pd.divergingEpoch.epoch);
      const snapshot = storage.snapshot().meta;
      const offset = ours ? Math.min(Number(pd.divergingEpoch.endOffset), ours.endOffset) : snapshot.index;
      this.#hint = { offset, epoch: storage.term(offset) ?? snapshot.term };
      this.#o.logger.info({ from: pos, to: this.#hint, leader: leaderId }, 'metadata log diverges from the leader: fetching from the truncation point');
      await driver.step({ type: 'heartbeat-request', from: leaderId, to: selfId, term: epoch, commit: 0 });
      return;
    }
    this.#hint = null;
    const hw = Number(pd.highWatermark);
    const decoded = pd.records && pd.records.length > 0 ? decodeEntries(pd.records) : null;
    const entries = decoded ? decoded.entries.filter((e) => e.index > pos.offset) : [];
    await driver.submit((node) => {
      if (decoded && entries.length > 0 && entries[0]!.index === pos.offset + 1) {
        for (const [t, l] of decoded.leaders) storage.noteLeader(t, l);
        storage.noteBatchEnds(decoded.batchEnds);
        node.step({ type: 'append-request', from: leaderId, to: selfId, term: epoch, prevLogIndex: pos.offset, prevLogTerm: pos.epoch, entries, commit: hw });
      } else {
        node.step({ type: 'heartbeat-request', from: leaderId, to: selfId, term: epoch, commit: Math.max(0, Math.min(hw, pos.offset)) });
      }
    });
  }

  async #installSnapshot(leaderId: number, epoch: number, id: SnapshotId): Promise<void> {
    const address = this.#o.voters.get(leaderId);
    if (!address) return;
    const chunks: Buffer[] = [];
    let position = 0;
    let size = -1;
    while (size < 0 || position < size) {
      const resp = await this.#o.pool.request(
        address,
        'raft-fetch',
        59,
        FETCH_SNAPSHOT_VERSION,
        {
          clusterId: this.#o.clusterId,
          replicaId: this.#o.selfId,
          maxBytes: SNAPSHOT_CHUNK_BYTES,
          topics: [{ name: METADATA_TOPIC, partitions: [{ partition: METADATA_PARTITION, currentLeaderEpoch: epoch, snapshotId: id, position: BigInt(position) }] }],
        },
        REQUEST_SLACK_MS * 2,
      );
      const p = resp.topics[0]?.partitions[0];
      if (resp.errorCode !== 0 || !p || p.errorCode !== 0) {
        this.#o.logger.info({ errorCode: p?.errorCode ?? resp.errorCode }, 'snapshot fetch refused; fetching again');
        return;
      }
      size = Number(p.size);
      if (Number(p.position) !== position || (p.unalignedRecords.length === 0 && position < size)) return;
      chunks.push(Buffer.from(p.unalignedRecords));
      position += p.unalignedRecords.length;
    }
    const data = Buffer.concat(chunks);
    this.#o.logger.info({ endOffset: Number(id.endOffset), epoch: id.epoch, bytes: data.length }, 'installing the leader\'s metadata snapshot');
    await this.#o.driver.step({
      type: 'snapshot-request',
      from: leaderId,
      to: this.#o.selfId,
      term: epoch,
      snapshot: { meta: { index: Number(id.endOffset), term: id.epoch }, data },
    });
  }
}
