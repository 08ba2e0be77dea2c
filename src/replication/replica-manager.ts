/**
 * ReplicaManager: the partitions this node hosts, produce and fetch routing,
 * and the waits behind acks and long-poll fetches.
 *
 * It follows the metadata image: a partition assigned to this node gets a
 * log, a removed topic's logs are deleted. Produce appends validated batches
 * (bytes, offsets assigned by the log), then answers per acks: acks=1 after
 * the leader append; acks=-1 once the ISR has it (here: the leader alone)
 * and, with krill.fsync.before.ack, after a group-committed fsync.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { MetadataImage, TopicImage } from '../controller/metadata-image.js';
import type { LogManager } from '../log/log-manager.js';
import { type LogConfig, parseCleanupPolicy } from '../log/log-config.js';
import { OffsetOutOfRangeError } from '../log/errors.js';
import { KafkaError } from '../api/error-codes.js';
import { Partition } from './partition.js';
import { validateRecords } from './batch-validator.js';
import { saveProducerSnapshot } from '../txn/producer-snapshot.js';
import { lastSequence } from '../txn/producer-state.js';
import { loadTxnState } from '../txn/txn-state-loader.js';
import type { FetchAbortedTxn } from '../txn/aborted-txn-index.js';
import { Attr, batchPositions } from '../protocol/record-batch.js';
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

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition[]>();
  private image: MetadataImage | null = null;
  /** Topic configs last pushed to each topic's logs (the image replaces the map when they change). */
  private readonly appliedConfigs = new Map<string, ReadonlyMap<string, string>>();
  private readonly snapshotTimer: NodeJS.Timeout;
  private txnVerifier: TxnVerifier | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly logs: LogManager,
    private readonly config: BrokerConfig,
    private readonly log: Logger,
  ) {
    this.snapshotTimer = setInterval(() => void this.snapshotProducers(), SNAPSHOT_INTERVAL_MS);
    this.snapshotTimer.unref();
  }

  /** Brings hosted partitions in line with a new metadata image. */
  async applyImage(image: MetadataImage): Promise<void> {
    this.image = image;
    for (const [name, parts] of this.partitions) {
      const t = image.topic(name);
      if (!t || t.id !== parts.find(Boolean)?.topicId) {
        this.partitions.delete(name);
        this.appliedConfigs.delete(name);
        for (const p of parts) {
          if (!p) continue;
          p.close();
          await this.logs.delete(p.topic, p.index);
        }
        this.log.info({ topic: name }, 'deleted the logs of a removed topic');
      }
    }
    for (const t of image.topics.values()) {
      let parts = this.partitions.get(t.name);
      const configsChanged = this.appliedConfigs.get(t.name) !== t.configs;
      this.appliedConfigs.set(t.name, t.configs);
      for (const pi of t.partitions) {
        if (!pi || !pi.replicas.includes(this.nodeId)) continue;
        const existing = parts?.[pi.partition];
        if (existing) {
          existing.update(pi);
          // Configs altered at run time reach the log now (getOrCreate updates an existing log).
          if (configsChanged) await this.logs.getOrCreate(t.name, pi.partition, this.logConfig(t));
          continue;
        }
        const log = await this.logs.getOrCreate(t.name, pi.partition, this.logConfig(t));
        if (!parts) {
          parts = [];
          this.partitions.set(t.name, parts);
        }
        const txn = await loadTxnState(log, this.log);
        parts[pi.partition] = new Partition(t.name, t.id, pi.partition, log, pi, txn.producers, txn.aborted);
      }
    }
  }

  logConfig(t: TopicImage): Partial<LogConfig> {
    const v = (k: string): number => Number(topicConfigValue(k, t.configs, this.config));
    return {
      segmentBytes: v('segment.bytes'),
      segmentMs: v('segment.ms'),
      segmentIndexBytes: v('segment.index.bytes'),
      indexIntervalBytes: v('index.interval.bytes'),
      flushIntervalMessages: Math.min(v('flush.messages'), Number.MAX_SAFE_INTEGER),
      flushIntervalMs: Math.min(v('flush.ms'), Number.MAX_SAFE_INTEGER),
      retentionMs: Math.min(v('retention.ms'), Number.MAX_SAFE_INTEGER),
      retentionBytes: Math.min(v('retention.bytes'), Number.MAX_SAFE_INTEGER),
      cleanupPolicy: parseCleanupPolicy(topicConfigValue('cleanup.policy', t.configs, this.config) ?? 'delete'),
      deleteRetentionMs: Math.min(v('delete.retention.ms'), Number.MAX_SAFE_INTEGER),
      minCleanableDirtyRatio: v('min.cleanable.dirty.ratio'),
      minCompactionLagMs: Math.min(v('min.compaction.lag.ms'), Number.MAX_SAFE_INTEGER),
      maxCompactionLagMs: Math.min(v('max.compaction.lag.ms'), Number.MAX_SAFE_INTEGER),
      fileDeleteDelayMs: Math.min(v('file.delete.delay.ms'), Number.MAX_SAFE_INTEGER),
    };
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
    if (!p || p.leader !== this.nodeId) throw new KafkaError('NOT_LEADER_OR_FOLLOWER');
    return p;
  }

  /** Installs the transaction coordinator's partition check (transaction.partition.verification.enable). */
  setTxnVerifier(verifier: TxnVerifier | null): void {
    this.txnVerifier = verifier;
  }

  async append(topic: string, index: number, records: Buffer, acks: number, origin: AppendOrigin = 'client'): Promise<AppendResult> {
    const p = this.leaderPartition(topic, index);
    const maxBytes = Number(this.topicConfig(topic, 'max.message.bytes'));
    const checked = validateRecords(records, maxBytes);
    const logAppendTime = this.topicConfig(topic, 'message.timestamp.type') === 'LogAppendTime';
    const now = Date.now();
    if (checked.producerId >= 0n) {
      const dup = this.checkProducer(p, records, origin);
      if (dup !== null) return { baseOffset: dup, logAppendTimeMs: -1, logStartOffset: p.log.logStartOffset, records: 0 };
    }
    const res = await p.log.append(records, logAppendTime ? { logAppendTimeMs: now } : undefined);
    if (acks === -1 && this.config.bool('krill.fsync.before.ack')) await p.log.flush();
    p.advanceHighWatermark();
    return {
      baseOffset: res.baseOffset,
      logAppendTimeMs: logAppendTime ? now : -1,
      logStartOffset: p.log.logStartOffset,
      records: checked.records,
    };
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
    const res = await p.log.append(batch);
    if (this.config.bool('krill.fsync.before.ack')) await p.log.flush();
    p.advanceHighWatermark();
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
   * Resolves when any of the partitions' high watermarks moves, or after
   * timeoutMs, whichever is first (the wait behind long-poll fetches).
   */
  waitForData(parts: Array<{ topic: string; partition: number }>, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancels: Array<() => void> = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const c of cancels) c();
        resolve();
      };
      const timer = setTimeout(finish, Math.max(0, timeoutMs));
      for (const { topic, partition } of parts) {
        const p = this.partitions.get(topic)?.[partition];
        if (p) cancels.push(p.onceAdvanced(finish));
      }
    });
  }

  partition(topic: string, index: number): Partition | undefined {
    return this.partitions.get(topic)?.[index];
  }

  async close(): Promise<void> {
    clearInterval(this.snapshotTimer);
    await this.snapshotProducers(true);
    for (const parts of this.partitions.values()) for (const p of parts) p?.close();
    this.partitions.clear();
  }
}

const EMPTY = Buffer.alloc(0);
