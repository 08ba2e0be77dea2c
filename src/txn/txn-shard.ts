/**
 * TxnShard: the transaction coordinator's state machine for one
 * __transaction_state partition, pure and synchronous (no clock, timers,
 * sockets or files); the shared CoordinatorRuntime drives it one operation
 * at a time and passes `now` in. Decisions follow Kafka's
 * TransactionCoordinator (TV1: no epoch bump per transaction):
 *
 * - durable state, changed only by replay(record): each transactional id's
 *   metadata (producer id and epoch, timeout, state, partitions, start and
 *   update times). A write is decided here, appended, then replayed.
 * - soft state: which partitions of a PrepareCommit/PrepareAbort
 *   transaction still wait for their marker (for DescribeTransactions), and
 *   when idle ids are next looked for.
 *
 * Because the runtime serialises operations and applies them only after
 * their append, Kafka's "pending transition" states never show: an
 * operation sees only durable state. The phase between PrepareX and
 * CompleteX (markers being written) is visible, and requests that would
 * change the transaction then get CONCURRENT_TRANSACTIONS.
 *
 * Timers (tick): an Ongoing transaction older than its timeout is aborted
 * with the producer fenced (epoch bumped); every
 * transaction.remove.expired.transaction.cleanup.interval.ms, ids idle for
 * transactional.id.expiration.ms (Empty or Complete*) get a tombstone.
 */
import type { Logger } from 'pino';
import type { ErrorName } from '../api/error-codes.js';
import type { CoordinatorShard, RuntimeOp, TxnProducer } from '../group/coordinator-runtime.js';
import type { TxnConfig } from './txn-config.js';
import { TxnState, txnStateByName, txnStateName, type TopicPartition, type TxnMetadata, type TxnRecord, type TxnStateId } from './txn-records.js';
import {
  addPartitions,
  complete,
  fenceAndAbort,
  hasPartition,
  incrementEpoch,
  isEpochExhausted,
  isPreparing,
  isValidProducerId,
  newTxnMetadata,
  prepareEnd,
  rotateProducerId,
} from './txn-transitions.js';

export class TxnOp implements RuntimeOp<TxnRecord, TxnOp> {
  readonly records: TxnRecord[] = [];
  readonly onSuccess: Array<() => void> = [];
  readonly onFailure: Array<(errorCode: number, next: TxnOp) => void> = [];
  producer: TxnProducer | null = null;

  constructor(readonly now: number) {}
}

export interface TxnShardEnv {
  readonly config: TxnConfig;
  readonly log: Logger;
  /** A transaction is now PrepareCommit/PrepareAbort (durably): its markers must be written. */
  markersNeeded(transactionalId: string): void;
}

export interface InitInput {
  readonly transactionalId: string;
  readonly txnTimeoutMs: number;
  /** KIP-360: the id and epoch the producer had, or null. */
  readonly expected: { producerId: bigint; producerEpoch: number } | null;
  /** A producer id the caller allocated, for a new id or a rotation. */
  readonly freshProducerId: bigint | null;
}

export type InitResult =
  | { readonly kind: 'error'; readonly error: ErrorName }
  | { readonly kind: 'ok'; readonly producerId: bigint; readonly producerEpoch: number }
  | { readonly kind: 'needProducerId' };

export interface ProducerRef {
  readonly transactionalId: string;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export interface DescribedTxn {
  readonly state: string;
  readonly txnTimeoutMs: number;
  readonly txnStartTimestamp: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
}

export interface ListFilters {
  readonly states: readonly string[];
  readonly producerIds: readonly bigint[];
  /** Only transactions running longer than this (ms); < 0: all. */
  readonly durationMs: number;
}

const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export class TxnShard implements CoordinatorShard<TxnRecord, TxnOp> {
  readonly txns = new Map<string, TxnMetadata>();
  private readonly byProducerId = new Map<bigint, string>();
  /** Ongoing transactions (their timeouts are the shard's deadlines). */
  private readonly ongoing = new Set<string>();
  /** PrepareCommit/PrepareAbort transactions → partitions still without their marker. */
  private readonly markersPending = new Map<string, Set<string>>();
  private nextSweepAt = Infinity;

  constructor(
    readonly partition: number,
    private readonly env: TxnShardEnv,
  ) {}

  // ------------------------------------------------------------ durable state

  replay(record: TxnRecord): void {
    const id = record.transactionalId;
    const prev = this.txns.get(id);
    if (prev && this.byProducerId.get(prev.producerId) === id) this.byProducerId.delete(prev.producerId);
    this.ongoing.delete(id);
    this.markersPending.delete(id);
    const m = record.metadata;
    if (m === null) {
      this.txns.delete(id);
      return;
    }
    this.txns.set(id, m);
    this.byProducerId.set(m.producerId, id);
    if (m.state === TxnState.Ongoing) this.ongoing.add(id);
    if (isPreparing(m)) this.markersPending.set(id, new Set(m.partitions.map((tp) => tpKey(tp.topic, tp.partition))));
  }

  /** Markers in __transaction_state: none are written there. */
  replayEndMarker(): void {}

  finishLoad(now: number): void {
    this.nextSweepAt = now + this.env.config.removeExpiredIntervalMs;
  }

  /** Nothing is parked on this shard; requests in flight fail through the runtime. */
  unload(): void {}

  /** Transactions waiting for their markers (to resume after a load). */
  preparing(): string[] {
    return [...this.markersPending.keys()];
  }

  /** The transactional id holding a producer id, when this shard has it. */
  byProducer(producerId: bigint): TxnMetadata | undefined {
    const id = this.byProducerId.get(producerId);
    return id === undefined ? undefined : this.txns.get(id);
  }

  private write(op: TxnOp, m: TxnMetadata | null, transactionalId = m?.transactionalId ?? ''): void {
    op.records.push({ transactionalId, metadata: m });
    if (m && isPreparing(m)) op.onSuccess.push(() => this.env.markersNeeded(transactionalId));
  }

  // ------------------------------------------------------------ client requests

  initProducerId(op: TxnOp, input: InitInput): InitResult {
    const existing = this.txns.get(input.transactionalId);
    if (!existing && input.freshProducerId === null) return { kind: 'needProducerId' };
    const m = existing ?? newTxnMetadata(input.transactionalId, input.freshProducerId as bigint, input.txnTimeoutMs, op.now);
    const expected = input.expected;
    if (expected && !isValidProducerId(m, expected)) return { kind: 'error', error: 'PRODUCER_FENCED' };
    switch (m.state) {
      case TxnState.PrepareCommit:
      case TxnState.PrepareAbort:
        return { kind: 'error', error: 'CONCURRENT_TRANSACTIONS' };
      case TxnState.Ongoing:
        // Abort the open transaction with the old producer fenced; the client retries and gets a newer epoch.
        this.write(op, fenceAndAbort(m, op.now));
        return { kind: 'error', error: 'CONCURRENT_TRANSACTIONS' };
      default: {
        let next: TxnMetadata | 'PRODUCER_FENCED';
        if (isEpochExhausted(m.producerEpoch) && (expected === null || expected.producerEpoch === m.producerEpoch)) {
          if (input.freshProducerId === null) return { kind: 'needProducerId' };
          next = rotateProducerId(m, input.freshProducerId, input.txnTimeoutMs, op.now, expected !== null);
        } else {
          next = incrementEpoch(m, input.txnTimeoutMs, expected?.producerEpoch ?? null, op.now);
        }
        if (next === 'PRODUCER_FENCED') return { kind: 'error', error: next };
        this.write(op, next);
        return { kind: 'ok', producerId: next.producerId, producerEpoch: next.producerEpoch };
      }
    }
  }

  private checkProducer(ref: ProducerRef): TxnMetadata | ErrorName {
    const m = this.txns.get(ref.transactionalId);
    if (!m || m.producerId !== ref.producerId) return 'INVALID_PRODUCER_ID_MAPPING';
    if (m.producerEpoch !== ref.producerEpoch) return 'PRODUCER_FENCED';
    return m;
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: null when the partitions are in the transaction (durably, once the op commits). */
  addPartitions(op: TxnOp, ref: ProducerRef, partitions: readonly TopicPartition[]): ErrorName | null {
    const m = this.checkProducer(ref);
    if (typeof m === 'string') return m;
    if (isPreparing(m)) return 'CONCURRENT_TRANSACTIONS';
    if (m.state === TxnState.Ongoing && partitions.every((tp) => hasPartition(m, tp.topic, tp.partition))) return null;
    this.write(op, addPartitions(m, partitions, op.now));
    return null;
  }

  /**
   * AddPartitionsToTxn v4+ verify_only (KIP-890): for each partition,
   * whether the producer's transaction has it (`missing` otherwise), or one
   * error for the whole transaction.
   */
  verifyPartitions(ref: ProducerRef, partitions: readonly TopicPartition[], missing: ErrorName): ErrorName | Array<ErrorName | null> {
    const m = this.checkProducer(ref);
    if (typeof m === 'string') return m;
    if (isPreparing(m)) return 'CONCURRENT_TRANSACTIONS';
    return partitions.map((tp) => (hasPartition(m, tp.topic, tp.partition) ? null : missing));
  }

  /** EndTxn: null when the transaction is (or already was) committed or aborted as asked. */
  endTxn(op: TxnOp, ref: ProducerRef, commit: boolean): ErrorName | null {
    const m = this.checkProducer(ref);
    if (typeof m === 'string') return m;
    switch (m.state) {
      case TxnState.Ongoing:
        this.write(op, prepareEnd(m, commit, op.now));
        return null;
      case TxnState.CompleteCommit:
        return commit ? null : 'INVALID_TXN_STATE';
      case TxnState.CompleteAbort:
        return commit ? 'INVALID_TXN_STATE' : null;
      case TxnState.PrepareCommit:
        return commit ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE';
      case TxnState.PrepareAbort:
        return commit ? 'INVALID_TXN_STATE' : 'CONCURRENT_TRANSACTIONS';
      default:
        return 'INVALID_TXN_STATE';
    }
  }

  // ------------------------------------------------------------ markers

  /** A partition of a finishing transaction has its marker. */
  markerWritten(transactionalId: string, topic: string, partition: number): void {
    this.markersPending.get(transactionalId)?.delete(tpKey(topic, partition));
  }

  /** Every marker is written: CompleteCommit/CompleteAbort, if the transaction is still the one that was finishing. */
  completeTxn(op: TxnOp, transactionalId: string, producerId: bigint, producerEpoch: number): void {
    const m = this.txns.get(transactionalId);
    if (!m || !isPreparing(m) || m.producerId !== producerId || m.producerEpoch !== producerEpoch) {
      this.env.log.warn({ transactionalId, producerId, producerEpoch }, 'transaction changed while its markers were written; not completing it');
      return;
    }
    this.write(op, complete(m, op.now));
  }

  // ------------------------------------------------------------ timers

  tick(op: TxnOp): void {
    for (const id of [...this.ongoing]) {
      const m = this.txns.get(id);
      if (!m || m.txnStartTimestamp + m.txnTimeoutMs >= op.now) continue;
      this.env.log.info({ transactionalId: id, producerId: m.producerId, timeoutMs: m.txnTimeoutMs }, 'aborting a transaction that timed out');
      this.write(op, fenceAndAbort(m, op.now));
    }
    if (op.now >= this.nextSweepAt) {
      this.nextSweepAt = op.now + this.env.config.removeExpiredIntervalMs;
      for (const [id, m] of this.txns) {
        const idle = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
        if (idle && m.txnLastUpdateTimestamp <= op.now - this.env.config.idExpirationMs) this.write(op, null, id);
      }
    }
  }

  nextDeadline(): number {
    let next = this.nextSweepAt;
    for (const id of this.ongoing) {
      const m = this.txns.get(id);
      if (m) next = Math.min(next, m.txnStartTimestamp + m.txnTimeoutMs + 1);
    }
    return next;
  }

  // ------------------------------------------------------------ admin

  /** DescribeTransactions: null when the id is unknown here. While finishing, only partitions still without a marker. */
  describe(transactionalId: string): DescribedTxn | null {
    const m = this.txns.get(transactionalId);
    if (!m) return null;
    const waiting = this.markersPending.get(transactionalId);
    const partitions = waiting ? m.partitions.filter((tp) => waiting.has(tpKey(tp.topic, tp.partition))) : m.partitions;
    return {
      state: txnStateName(m.state),
      txnTimeoutMs: m.txnTimeoutMs,
      txnStartTimestamp: m.txnStartTimestamp,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      partitions,
    };
  }

  /** ListTransactions over this shard; unknown state names are reported, not matched. */
  list(filters: ListFilters, now: number, unknown: Set<string>): Array<{ transactionalId: string; producerId: bigint; state: string }> {
    const states = new Set<TxnStateId>();
    for (const name of filters.states) {
      const id = txnStateByName(name);
      if (id === undefined) unknown.add(name);
      else states.add(id);
    }
    const pids = new Set(filters.producerIds);
    const out: Array<{ transactionalId: string; producerId: bigint; state: string }> = [];
    for (const m of this.txns.values()) {
      if (m.state === TxnState.Dead) continue;
      if (pids.size > 0 && !pids.has(m.producerId)) continue;
      if (filters.states.length > 0 && !states.has(m.state)) continue;
      if (filters.durationMs >= 0 && now - m.txnStartTimestamp <= filters.durationMs) continue;
      out.push({ transactionalId: m.transactionalId, producerId: m.producerId, state: txnStateName(m.state) });
    }
    return out;
  }
}
