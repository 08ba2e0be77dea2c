/**
 * ReplicaManager: the partitions this node hosts, produce and fetch routing,
 * and the waits behind acks and long polls.
 *
 * It follows the metadata image: a partition assigned to this node gets a
 * log (with its leader epoch cache and checkpointed high watermark) and
 * becomes leader or follower as the image says; a partition or topic no
 * longer assigned here has its log deleted. As leader, produce appends
 * validated batches (bytes, offsets assigned by the log, stamped with the
 * leader epoch) and answers per acks: acks=0/1 after the leader append;
 * acks=-1 is refused up front with NOT_ENOUGH_REPLICAS while the ISR is
 * smaller than min.insync.replicas, and otherwise waits in the delayed
 * produce purgatory until the high watermark passes the batch (after a
 * group-committed fsync with krill.fsync.before.ack), or request timeout
 * (REQUEST_TIMED_OUT). Followers' fetches move the high watermark and the
 * ISR (isr-manager.ts); as follower, replica fetchers copy the leader's log
 * (replica-fetcher.ts).
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { MetadataImage, PartitionImage, TopicImage } from '../controller/metadata-image.js';
import type { LogManager } from '../log/log-manager.js';
import type { LogConfig } from '../log/log-config.js';
import { OffsetOutOfRangeError } from '../log/errors.js';
import { KafkaError } from '../api/error-codes.js';
import { Partition } from './partition.js';
import { validateRecords } from './batch-validator.js';
import { TimerWheel } from './timer-wheel.js';
import { Purgatory } from './delayed-ops.js';
import { awaitIsr } from './delayed-produce.js';
import { topicLogConfig } from './topic-log-config.js';
import { IsrManager, type PartitionStateController } from './isr-manager.js';
import { FetcherManager } from './fetcher-manager.js';
import { HighWatermarkCheckpoints } from './hw-checkpoint.js';
import { epochCacheWriter, loadEpochCache } from './epoch-store.js';
import type { EpochEndOffset } from './leader-epoch-cache.js';
import { replicationSettings, type ReplicationSettings } from './replication-config.js';
import { dirname } from 'node:path';
import { saveProducerSnapshot } from '../txn/producer-snapshot.js';
import { lastSequence } from '../txn/producer-state.js';
import { loadTxnState } from '../txn/txn-state-loader.js';
import type { FetchAbortedTxn } from '../txn/aborted-txn-index.js';
import { Attr, batchPositions, setPartitionLeaderEpoch } from '../protocol/record-batch.js';
import { buildBatchSync } from '../protocol/records.js';
import { ControlRecordType, endTxnMarkerRecord } from '../protocol/control-records.js';
import type { ErrorName } from '../api/error-codes.js';

const SNAPSHOT_INTERVAL_MS = 60_000;

export interface AppendResult {
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  records: number;
}

export interface ReadResult {
  records: Buffer;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  /** read_committed: the aborted transactions overlapping the returned batches. */
  abortedTransactions?: FetchAbortedTxn[];
}

/** Who writes: a client (full idempotence checks) or a coordinator on a producer's behalf (epoch only). */
export type AppendOrigin = 'client' | 'coordinator';

/** A commit or abort marker for one partition (WriteTxnMarkers). */
export interface TxnMarkerWrite {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
}

/**
 * Asks the transaction coordinator whether a producer's transaction has
 * this partition (KIP-890 verification, for a transactional batch that
 * would open a transaction here). null: yes, or not known here.
 */
export type TxnVerifier = (producerId: bigint, producerEpoch: number, topic: string, partition: number) => ErrorName | null;

/** A follower's fetch of one partition, as the leader sees it. */
export interface FollowerFetch {
  readonly replicaId: number;
  readonly replicaEpoch: bigint;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
  readonly lastFetchedEpoch: number;
  readonly maxBytes: number;
  readonly minOneBatch: boolean;
  /** Record the follower's position (the first read of a request; long-poll re-reads do not). */
  readonly updateState: boolean;
}

export interface FollowerReadResult {
  readonly records: Buffer;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set when the follower's log diverged from the leader's (KIP-320): truncate, fetch nothing. */
  readonly divergingEpoch?: EpochEndOffset;
}

export interface ReplicationDeps {
  /** Where ISR changes go (AlterPartition); null: this node never changes an ISR (tests). */
  readonly controller?: PartitionStateController | null;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition[]>();
  private image: MetadataImage | null = null;
  /** Topic configs last pushed to each topic's logs (the image replaces the map when they change). */
  private readonly appliedConfigs = new Map<string, ReadonlyMap<string, string>>();
  private readonly snapshotTimer: NodeJS.Timeout;
  private txnVerifier: TxnVerifier | null = null;
  private readonly settings: ReplicationSettings;
  private readonly wheel = new TimerWheel();
  /** acks=all produces waiting for the high watermark, keyed by partition. */
  private readonly delayedProduces = new Purgatory(this.wheel);
  private readonly isr: IsrManager;
  private readonly fetchers: FetcherManager;
  private readonly hwCheckpoints = new HighWatermarkCheckpoints();
  private readonly hwTimer: NodeJS.Timeout;
  private readonly isrTimer: NodeJS.Timeout;
  /** Controlled shutdown under way: no new fetchers. */
  private stopping = false;

  constructor(
    private readonly nodeId: number,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
    deps: ReplicationDeps = {},
  ) {
    this.snapshotTimer = setInterval(() => void this.snapshotProducers(), SNAPSHOT_INTERVAL_MS);
    this.snapshotTimer.unref();
    this.settings = replicationSettings(config);
    this.isr = new IsrManager({
      nodeId,
      image: () => this.image,
      controller: deps.controller ?? null,
      replicaLagTimeMaxMs: this.settings.replicaLagTimeMaxMs,
      log,
      onIsrChanged: (p) => this.highWatermarkMaybeMoved(p),
    });
    this.fetchers = new FetcherManager({
      nodeId,
      brokerEpoch: () => this.image?.brokers.get(nodeId)?.epoch ?? -1n,
      endpoint: (id) => this.endpointOf(id),
      config: { ...this.settings.fetcher, fsync: config.bool('krill.fsync.before.ack') },
      log: log.child({ component: 'replica-fetcher' }),
    });
    this.hwTimer = setInterval(() => void this.checkpointHighWatermarks(), this.settings.hwCheckpointIntervalMs);
    this.hwTimer.unref();
    this.isrTimer = setInterval(() => this.shrinkIsrs(), Math.max(10, Math.floor(this.settings.replicaLagTimeMaxMs / 2)));
    this.isrTimer.unref();
  }

  /** Brings hosted partitions in line with a new metadata image. */
  async applyImage(image: MetadataImage): Promise<void> {
    this.image = image;
    for (const [name, parts] of this.partitions) {
      const t = image.topic(name);
      if (!t || t.id !== parts.find(Boolean)?.topicId) {
        this.partitions.delete(name);
        this.appliedConfigs.delete(name);
        for (const p of parts) if (p) await this.dropPartition(p);
        this.log.info({ topic: name }, 'deleted the logs of a removed topic');
        continue;
      }
      for (const p of parts) {
        if (p && !t.partitions[p.index]?.replicas.includes(this.nodeId)) {
          delete parts[p.index];
          await this.dropPartition(p);
          this.log.info({ topic: name, partition: p.index }, 'deleted the log of a partition no longer assigned here');
        }
      }
    }
    for (const t of image.topics.values()) {
      let parts = this.partitions.get(t.name);
      const configsChanged = this.appliedConfigs.get(t.name) !== t.configs;
      this.appliedConfigs.set(t.name, t.configs);
      for (const pi of t.partitions) {
        if (!pi || !pi.replicas.includes(this.nodeId)) continue;
        let p = parts?.[pi.partition];
        if (p) {
          // Configs altered at run time reach the log now (getOrCreate updates an existing log).
          if (configsChanged) await this.logs.getOrCreate(t.name, pi.partition, this.logConfig(t));
        } else {
          p = await this.openPartition(t, pi);
          if (!parts) {
            parts = [];
            this.partitions.set(t.name, parts);
          }
          parts[pi.partition] = p;
        }
        await this.transition(p, pi);
      }
    }
  }

  private async openPartition(t: TopicImage, pi: PartitionImage): Promise<Partition> {
    const log = await this.logs.getOrCreate(t.name, pi.partition, this.logConfig(t));
    const txn = await loadTxnState(log, this.log);
    const epochs = await loadEpochCache(log, this.log);
    const highWatermark = await this.hwCheckpoints.get(dirname(log.dir), t.name, pi.partition);
    return new Partition(t.name, t.id, pi.partition, log, pi, txn.producers, txn.aborted, { epochs, epochWriter: epochCacheWriter(log, epochs), highWatermark });
  }

  /** Leader or follower as the image says (Kafka's makeLeader / makeFollower), on the partition's queue. */
  private transition(p: Partition, pi: PartitionImage): Promise<void> {
    return p.serially(() => {
      if (p.closed) return;
      if (pi.leader === this.nodeId) {
        if (p.makeLeader(pi, Date.now())) {
          this.fetchers.unfollow(p);
          this.log.info({ topic: p.topic, partition: p.index, leaderEpoch: p.leaderEpoch, isr: p.isr, highWatermark: p.highWatermark }, 'became leader');
        }
        this.highWatermarkMaybeMoved(p);
        return;
      }
      if (!p.makeFollower(pi)) return;
      this.fetchers.unfollow(p);
      // Waiting acks=all produces learn they lost leadership.
      this.delayedProduces.checkAndComplete(p);
      if (p.role === 'follower' && !this.stopping) this.fetchers.follow(p);
    });
  }

  private async dropPartition(p: Partition): Promise<void> {
    this.fetchers.unfollow(p);
    p.close();
    this.delayedProduces.checkAndComplete(p);
    await p.serially(() => this.logs.delete(p.topic, p.index));
  }

  /** Where this node reaches a broker: its endpoint on inter.broker.listener.name, else its first. */
  private endpointOf(id: number): { host: string; port: number } | null {
    const b = this.image?.brokers.get(id);
    if (!b) return null;
    const name = this.config.raw('inter.broker.listener.name');
    const e = (name ? b.endpoints.find((x) => x.name === name) : undefined) ?? b.endpoints[0];
    return e ? { host: e.host, port: e.port } : null;
  }

  logConfig(t: TopicImage): Partial<LogConfig> {
    return topicLogConfig(t, this.config);
  }

  topicConfig(topic: string, name: string): string | null {
    const t = this.image?.topic(topic);
    return topicConfigValue(name, t?.configs ?? new Map(), this.config);
  }

  /** The partition if this node leads it, else a KafkaError. */
  leaderPartition(topic: string, index: number): Partition {
    const t = this.image?.topic(topic);
    if (!t || index < 0 || index >= t.partitions.length) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    const p = this.partitions.get(topic)?.[index];
    if (!p || !p.isLeader) throw new KafkaError('NOT_LEADER_OR_FOLLOWER');
    return p;
  }

  /** min.insync.replicas of the partition's topic. */
  private minIsr(p: Partition): number {
    return Number(this.topicConfig(p.topic, 'min.insync.replicas'));
  }

  /** Installs the transaction coordinator's partition check (transaction.partition.verification.enable). */
  setTxnVerifier(verifier: TxnVerifier | null): void {
    this.txnVerifier = verifier;
  }

  /**
   * Appends to a partition led here. timeoutMs bounds the acks=-1 wait for
   * the ISR (the produce request's timeout).
   *
   * Checks, producer state and the log's offset assignment all happen
   * before this returns its promise (no await before p.log.append), so
   * appends called one after another land in that order; pipelined Produce
   * (api/produce.ts) relies on it.
   */
  async append(topic: string, index: number, records: Buffer, acks: number, origin: AppendOrigin = 'client', timeoutMs = this.settings.requestTimeoutMs): Promise<AppendResult> {
    const p = this.leaderPartition(topic, index);
    const maxBytes = Number(this.topicConfig(topic, 'max.message.bytes'));
    const checked = validateRecords(records, maxBytes);
    const logAppendTime = this.topicConfig(topic, 'message.timestamp.type') === 'LogAppendTime';
    const now = Date.now();
    const minIsr = p.effectiveMinIsr(this.minIsr(p));
    if (acks === -1 && p.isr.length < minIsr) {
      throw new KafkaError('NOT_ENOUGH_REPLICAS', `The size of the current ISR [${p.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${index}`);
    }
    if (checked.producerId >= 0n) {
      const dup = this.checkProducer(p, records, origin);
      if (dup !== null) return { baseOffset: dup, logAppendTimeMs: -1, logStartOffset: p.log.logStartOffset, records: 0 };
    }
    const epoch = p.leaderEpoch;
    stampLeaderEpoch(records, epoch);
    const res = await p.log.append(records, logAppendTime ? { logAppendTimeMs: now } : undefined);
    this.leaderAppended(p);
    if (acks === -1) {
      if (this.config.bool('krill.fsync.before.ack')) await p.log.flush();
      await awaitIsr(this.delayedProduces, p, epoch, res.lastOffset + 1, () => this.minIsr(p), timeoutMs);
    }
    return {
      baseOffset: res.baseOffset,
      logAppendTimeMs: logAppendTime ? now : -1,
      logStartOffset: p.log.logStartOffset,
      records: checked.records,
    };
  }

  /** After a leader append is written: wake followers' long polls, move the high watermark (alone in the ISR it moves now). */
  private leaderAppended(p: Partition): void {
    p.appended();
    this.highWatermarkMaybeMoved(p);
  }

  /** Recomputes a leader's high watermark; completes the acks=all waits it satisfies. */
  private highWatermarkMaybeMoved(p: Partition): void {
    if (!p.isLeader) return;
    p.maybeIncrementHighWatermark(this.minIsr(p), Date.now(), this.settings.replicaLagTimeMaxMs, (id, e) => this.isr.eligible(id, e));
    this.delayedProduces.checkAndComplete(p);
  }

  /**
   * Checks idempotent batches against the producer state and records them at
   * the offsets the log is about to assign (synchronously, before the append,
   * so a retry arriving meanwhile is recognised). Returns the original base
   * offset when the record set is a retried duplicate, else null; throws on
   * a fenced epoch or a sequence gap.
   */
  private checkProducer(p: Partition, records: Buffer, origin: AppendOrigin): number | null {
    let offset = p.log.logEndOffset;
    const pending: Array<() => void> = [];
    for (const [pos] of batchPositions(records)) {
      const producerId = records.readBigInt64BE(pos + 43);
      const delta = records.readInt32BE(pos + 23);
      const first = offset;
      offset += delta + 1;
      if (producerId < 0n) continue;
      const epoch = records.readInt16BE(pos + 51);
      const transactional = (records.readInt16BE(pos + 21) & Attr.Transactional) !== 0;
      const timestamp = Number(records.readBigInt64BE(pos + 35));
      if (origin === 'coordinator') {
        const verdict = p.producers.checkEpoch(producerId, epoch);
        if (verdict.kind === 'error') throw new KafkaError(verdict.error, verdict.message);
        this.verifyTxn(p, producerId, epoch, transactional);
        pending.push(() => p.producers.recordCoordinatorWrite(producerId, epoch, first, timestamp, transactional));
        continue;
      }
      const firstSeq = records.readInt32BE(pos + 53);
      const lastSeq = lastSequence(firstSeq, delta);
      const verdict = p.producers.check(producerId, epoch, firstSeq, lastSeq, transactional);
      if (verdict.kind === 'error') throw new KafkaError(verdict.error, verdict.message);
      if (verdict.kind === 'duplicate') {
        if (pending.length === 0) return verdict.batch.firstOffset;
        throw new KafkaError('OUT_OF_ORDER_SEQUENCE_NUMBER', 'a retried batch follows new batches in one record set');
      }
      this.verifyTxn(p, producerId, epoch, transactional);
      pending.push(() => p.producers.record(producerId, epoch, { firstSeq, lastSeq, firstOffset: first, lastOffset: first + delta, timestamp }, transactional));
    }
    for (const apply of pending) apply();
    p.producersDirty = true;
    return null;
  }

  /** A transactional batch that would open a transaction here must belong to the producer's ongoing transaction. */
  private verifyTxn(p: Partition, producerId: bigint, epoch: number, transactional: boolean): void {
    if (!transactional || !this.txnVerifier || p.producers.hasOngoingTxn(producerId)) return;
    const error = this.txnVerifier(producerId, epoch, p.topic, p.index);
    if (error !== null) throw new KafkaError(error, error === 'INVALID_TXN_STATE' ? 'Partition was not added to the transaction' : undefined);
  }

  /**
   * Appends a commit or abort marker (a control batch) for a producer, as
   * WriteTxnMarkers does: an older producer epoch is INVALID_PRODUCER_EPOCH,
   * an older coordinator epoch TRANSACTION_COORDINATOR_FENCED. The
   * producer's open transaction here closes (the last stable offset moves
   * on) and an abort is added to the aborted-transaction index. Resolves
   * with the marker's offset once it is written (and synced, with
   * krill.fsync.before.ack).
   */
  async appendTxnMarker(topic: string, index: number, m: TxnMarkerWrite): Promise<number> {
    const p = this.leaderPartition(topic, index);
    const bad = p.producers.checkMarker(m.producerId, m.producerEpoch, m.coordinatorEpoch);
    if (bad?.kind === 'error') throw new KafkaError(bad.error, bad.message);
    const now = Date.now();
    const offset = p.log.logEndOffset;
    const batch = buildBatchSync({
      control: true,
      transactional: true,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      defaultTimestamp: now,
      records: [endTxnMarkerRecord(m.commit ? ControlRecordType.Commit : ControlRecordType.Abort, m.coordinatorEpoch)],
    });
    const done = p.producers.applyMarker({ ...m, offset, timestamp: now });
    if (done?.aborted) {
      p.abortedTxns.add({ producerId: m.producerId, firstOffset: done.firstOffset, lastOffset: offset, lastStableOffset: p.producers.firstUnstableOffset() ?? offset + 1 });
    }
    p.producersDirty = true;
    const epoch = p.leaderEpoch;
    stampLeaderEpoch(batch, epoch);
    const res = await p.log.append(batch);
    this.leaderAppended(p);
    if (this.config.bool('krill.fsync.before.ack')) await p.log.flush();
    await awaitIsr(this.delayedProduces, p, epoch, res.lastOffset + 1, () => this.minIsr(p), this.settings.requestTimeoutMs);
    return res.baseOffset;
  }

  /** Writes producer snapshots of partitions whose producer state changed. */
  async snapshotProducers(all = false): Promise<void> {
    for (const parts of this.partitions.values()) {
      for (const p of parts) {
        if (!p || p.log.isClosed || !(p.producersDirty || (all && p.producers.producers.size > 0))) continue;
        p.producersDirty = false;
        try {
          const offset = p.log.logEndOffset;
          await p.abortedTxns.flush();
          await p.abortedTxns.prune(p.log.logStartOffset);
          await saveProducerSnapshot(p.log, p.producers, offset);
        } catch (err) {
          this.log.warn({ err, topic: p.topic, partition: p.index }, 'writing a producer snapshot failed');
        }
      }
    }
  }

  /**
   * Reads committed data (below the high watermark) from `offset`.
   * Offsets between the high watermark and the log end read as empty;
   * outside [logStart, logEnd] is OFFSET_OUT_OF_RANGE.
   */
  async read(topic: string, index: number, offset: number, maxBytes: number, minOneBatch: boolean, readCommitted = false): Promise<ReadResult> {
    const p = this.leaderPartition(topic, index);
    const limit = readCommitted ? p.lastStableOffset : p.highWatermark;
    const base = { highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.log.logStartOffset };
    if (offset < p.log.logStartOffset || offset > p.log.logEndOffset) {
      throw new KafkaError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside [${p.log.logStartOffset}, ${p.log.logEndOffset}]`);
    }
    if (offset >= limit) return { records: EMPTY, ...base };
    try {
      const r = await p.log.read(offset, maxBytes, { minOneBatch, maxOffset: limit });
      if (!readCommitted || r.records.length === 0 || p.abortedTxns.size === 0) return { records: r.records, ...base };
      let upper = offset;
      for (const [pos] of batchPositions(r.records)) upper = Number(r.records.readBigInt64BE(pos)) + r.records.readInt32BE(pos + 23) + 1;
      return { records: r.records, ...base, abortedTransactions: p.abortedTxns.collect(offset, upper) };
    } catch (err) {
      if (err instanceof OffsetOutOfRangeError) throw new KafkaError('OFFSET_OUT_OF_RANGE', err.message);
      throw err;
    }
  }

  /**
   * Leader side of a follower's fetch (Kafka's Partition.fetchRecords for a
   * replica): checks the leader epoch, reports a diverging epoch when the
   * follower's last fetched epoch ends earlier here (KIP-320), records the
   * follower's position (which may move the high watermark and expand the
   * ISR), then reads from the follower's offset up to the log end.
   */
  async readForFollower(topic: string, index: number, f: FollowerFetch): Promise<FollowerReadResult> {
    const p = this.leaderPartition(topic, index);
    if (f.currentLeaderEpoch >= 0 && f.currentLeaderEpoch !== p.leaderEpoch) {
      throw new KafkaError(f.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
    }
    if (!p.replicas.includes(f.replicaId)) throw new KafkaError('NOT_LEADER_OR_FOLLOWER', `broker ${f.replicaId} is not a replica of ${topic}-${index}`);
    const offsets = (): Omit<FollowerReadResult, 'records'> => ({ highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset, logStartOffset: p.log.logStartOffset });
    if (f.lastFetchedEpoch >= 0) {
      const end = p.epochs.endOffsetFor(f.lastFetchedEpoch, p.log.logEndOffset);
      if (end.epoch < f.lastFetchedEpoch || end.endOffset < f.fetchOffset) return { records: EMPTY, ...offsets(), divergingEpoch: end };
    }
    if (f.fetchOffset < p.log.logStartOffset || f.fetchOffset > p.log.logEndOffset) {
      throw new KafkaError('OFFSET_OUT_OF_RANGE', `offset ${f.fetchOffset} is outside [${p.log.logStartOffset}, ${p.log.logEndOffset}]`);
    }
    if (f.updateState && p.recordFollowerFetch(f.replicaId, f.replicaEpoch, f.fetchOffset, Date.now())) {
      this.highWatermarkMaybeMoved(p);
      this.isr.maybeExpand(p, f.replicaId);
    }
    try {
      const r = await p.log.read(f.fetchOffset, f.maxBytes, { minOneBatch: f.minOneBatch });
      return { records: r.records, ...offsets() };
    } catch (err) {
      if (err instanceof OffsetOutOfRangeError) throw new KafkaError('OFFSET_OUT_OF_RANGE', err.message);
      throw err;
    }
  }

  /** OffsetForLeaderEpoch on a partition led here: the end offset of the largest epoch <= leaderEpoch. */
  endOffsetForEpoch(topic: string, index: number, currentLeaderEpoch: number, leaderEpoch: number): EpochEndOffset {
    const p = this.leaderPartition(topic, index);
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch !== p.leaderEpoch) {
      throw new KafkaError(currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
    }
    return p.epochs.endOffsetFor(leaderEpoch, p.log.logEndOffset);
  }

  /**
   * Resolves when any of the partitions' high watermarks moves (with `leo`:
   * log end, for followers' fetches), or after timeoutMs, whichever is
   * first (the wait behind long-poll fetches).
   */
  waitForData(parts: Array<{ topic: string; partition: number }>, timeoutMs: number, leo = false): Promise<void> {
    return new Promise((resolve) => {
      const cancels: Array<() => void> = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        for (const c of cancels) c();
        resolve();
      };
      cancels.push(this.wheel.schedule(timeoutMs, finish));
      for (const { topic, partition } of parts) {
        const p = this.partitions.get(topic)?.[partition];
        if (p) cancels.push(p.onceAdvanced(finish, leo));
      }
    });
  }

  /** Periodic ISR check of the partitions led here (every replica.lag.time.max.ms / 2). */
  private shrinkIsrs(): void {
    const now = Date.now();
    for (const parts of this.partitions.values()) for (const p of parts) if (p?.isLeader) this.isr.maybeShrink(p, now);
  }

  /** Writes every log dir's replication-offset-checkpoint. */
  async checkpointHighWatermarks(): Promise<void> {
    const byDir = new Map<string, Array<{ topic: string; partition: number; offset: number }>>();
    for (const parts of this.partitions.values()) {
      for (const p of parts) {
        if (!p || p.log.isClosed) continue;
        const dir = dirname(p.log.dir);
        byDir.set(dir, [...(byDir.get(dir) ?? []), { topic: p.topic, partition: p.index, offset: p.highWatermark }]);
      }
    }
    for (const [dir, entries] of byDir) {
      await this.hwCheckpoints.write(dir, entries).catch((err: unknown) => this.log.warn({ err, dir }, 'writing the high watermark checkpoint failed'));
    }
  }

  /** Fault injection for tests: pauses (or resumes) this node's replica fetchers; partitions stay followers. */
  pauseFetching(paused: boolean): void {
    this.fetchers.pause(paused);
  }

  /** Controlled shutdown: stop following leaders (called before the controller moves leadership away). */
  async stopFetchers(): Promise<void> {
    this.stopping = true;
    await this.fetchers.close();
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  async close(): Promise<void> {
    clearInterval(this.snapshotTimer);
    clearInterval(this.hwTimer);
    clearInterval(this.isrTimer);
    this.stopping = true;
    await this.fetchers.close();
    await this.snapshotProducers(true);
    await this.checkpointHighWatermarks();
    for (const parts of this.partitions.values()) {
      for (const p of parts) {
        if (!p) continue;
        p.close();
        this.delayedProduces.checkAndComplete(p);
      }
    }
    this.wheel.clear();
    this.partitions.clear();
  }
}

const EMPTY = Buffer.alloc(0);

/** Stamps every batch with the leader epoch that appends it (the field is outside the CRC). */
function stampLeaderEpoch(records: Buffer, epoch: number): void {
  for (const [pos] of batchPositions(records)) setPartitionLeaderEpoch(records, pos, epoch);
}
