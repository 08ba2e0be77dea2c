/**
 * Idempotence state of one partition: for each producer id its epoch and the
 * sequence ranges of its last five batches (what a producer may have in
 * flight), as Kafka's ProducerStateManager keeps them.
 *
 * Rules for a batch (producerId, epoch, firstSeq..lastSeq) from a client:
 * - an epoch older than the known one: INVALID_PRODUCER_EPOCH;
 * - a newer epoch must start at sequence 0 (OUT_OF_ORDER_SEQUENCE_NUMBER);
 * - the same epoch: a batch equal to one of the cached five is a duplicate
 *   (answered with the original offsets, no error); otherwise firstSeq must
 *   follow the last batch's lastSeq (OUT_OF_ORDER_SEQUENCE_NUMBER);
 * - a producer this partition does not know is accepted at any sequence
 *   (its state may have been lost with old segments).
 * Sequences wrap from 2^31-1 to 0.
 *
 * Transactions (KIP-98): the first transactional batch of a producer opens
 * its transaction on this partition (currentTxnFirstOffset); a commit or
 * abort marker closes it and reports the completed transaction, whose
 * aborted ones go to the aborted-transaction index. The first offset of the
 * earliest open transaction bounds the last stable offset. A marker older
 * than the producer's epoch is INVALID_PRODUCER_EPOCH, one from an older
 * coordinator epoch TRANSACTION_COORDINATOR_FENCED; a plain batch from a
 * producer with an open transaction is INVALID_TXN_STATE, as in Kafka's
 * ProducerAppendInfo. Writes a coordinator makes for a producer
 * (transactional offset commits) check the epoch but not sequences.
 * Pure: no I/O, no clock.
 */
import type { ErrorName } from '../api/error-codes.js';

export const MAX_CACHED_BATCHES = 5;
const SEQ_MOD = 2 ** 31;

export interface BatchMeta {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly timestamp: number;
}

export interface ProducerEntry {
  readonly producerId: bigint;
  epoch: number;
  /** Oldest first, at most MAX_CACHED_BATCHES. */
  batches: BatchMeta[];
  lastTimestamp: number;
  coordinatorEpoch: number;
  /** First offset of the open transaction, -1 when none. */
  currentTxnFirstOffset: number;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly batch: BatchMeta }
  | { readonly kind: 'error'; readonly error: ErrorName; readonly message: string };

const APPEND: SequenceCheck = { kind: 'append' };

/** A transaction whose marker was written on this partition. */
export interface CompletedTxn {
  readonly producerId: bigint;
  readonly firstOffset: number;
  /** Offset of the marker. */
  readonly lastOffset: number;
  readonly aborted: boolean;
}

export interface MarkerInput {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly commit: boolean;
  /** Offset the marker gets. */
  readonly offset: number;
  readonly timestamp: number;
}

export function lastSequence(firstSeq: number, lastOffsetDelta: number): number {
  return (firstSeq + lastOffsetDelta) % SEQ_MOD;
}

export function nextSequence(seq: number): number {
  return (seq + 1) % SEQ_MOD;
}

function staleEpoch(producerId: bigint, epoch: number, current: number): SequenceCheck {
  return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `producer ${producerId} epoch ${epoch} is older than the current epoch ${current}` };
}

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>();
  /** Producers with an open transaction here → its first offset. */
  private readonly ongoing = new Map<bigint, number>();

  /**
   * Decides whether a client batch may be appended. `transactional` (when
   * given) also checks that a plain batch does not interleave with the
   * producer's open transaction.
   */
  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number, transactional?: boolean): SequenceCheck {
    const e = this.producers.get(producerId);
    if (!e) return APPEND;
    if (epoch < e.epoch) return staleEpoch(producerId, epoch, e.epoch);
    if (transactional === false && e.currentTxnFirstOffset >= 0) {
      return { kind: 'error', error: 'INVALID_TXN_STATE', message: `producer ${producerId} sent a non-transactional batch inside its open transaction` };
    }
    if (epoch > e.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `producer ${producerId} starts epoch ${epoch} at sequence ${firstSeq}, expected 0` };
      }
      return APPEND;
    }
    const dup = e.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: 'duplicate', batch: dup };
    const last = e.batches[e.batches.length - 1];
    if (last && firstSeq !== nextSequence(last.lastSeq)) {
      return {
        kind: 'error',
        error: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
        message: `producer ${producerId} sent sequence ${firstSeq}, expected ${nextSequence(last.lastSeq)}`,
      };
    }
    return APPEND;
  }

  /** Records an appended batch (also used when rebuilding state from the log). */
  record(producerId: bigint, epoch: number, batch: BatchMeta, transactional: boolean): void {
    const e = this.entry(producerId, epoch);
    e.batches.push(batch);
    if (e.batches.length > MAX_CACHED_BATCHES) e.batches.shift();
    e.lastTimestamp = batch.timestamp;
    if (transactional) this.openTxn(e, batch.firstOffset);
  }

  /** The epoch check for a coordinator's write on a producer's behalf (no sequences). */
  checkEpoch(producerId: bigint, epoch: number): SequenceCheck {
    const e = this.producers.get(producerId);
    return e && epoch < e.epoch ? staleEpoch(producerId, epoch, e.epoch) : APPEND;
  }

  /** Records a coordinator's write for a producer (a transactional offset commit). */
  recordCoordinatorWrite(producerId: bigint, epoch: number, firstOffset: number, timestamp: number, transactional: boolean): void {
    const e = this.entry(producerId, epoch);
    e.lastTimestamp = timestamp;
    if (transactional) this.openTxn(e, firstOffset);
  }

  /** Whether a commit or abort marker may be written; null when it may. */
  checkMarker(producerId: bigint, epoch: number, coordinatorEpoch: number): SequenceCheck | null {
    const e = this.producers.get(producerId);
    if (!e) return null;
    if (epoch < e.epoch) return staleEpoch(producerId, epoch, e.epoch);
    if (coordinatorEpoch < e.coordinatorEpoch) {
      return {
        kind: 'error',
        error: 'TRANSACTION_COORDINATOR_FENCED',
        message: `marker for producer ${producerId} from coordinator epoch ${coordinatorEpoch}, older than ${e.coordinatorEpoch}`,
      };
    }
    return null;
  }

  /** Applies a commit or abort marker; returns the transaction it closed, if one was open. */
  applyMarker(m: MarkerInput): CompletedTxn | null {
    const e = this.entry(m.producerId, m.producerEpoch);
    e.coordinatorEpoch = m.coordinatorEpoch;
    e.lastTimestamp = m.timestamp;
    const first = e.currentTxnFirstOffset;
    e.currentTxnFirstOffset = -1;
    this.ongoing.delete(m.producerId);
    if (first < 0) return null;
    return { producerId: m.producerId, firstOffset: first, lastOffset: m.offset, aborted: !m.commit };
  }

  /** First offset of the earliest open transaction, or null when none is open. */
  firstUnstableOffset(): number | null {
    let min: number | null = null;
    for (const o of this.ongoing.values()) if (min === null || o < min) min = o;
    return min;
  }

  /** Whether the producer has an open transaction on this partition. */
  hasOngoingTxn(producerId: bigint): boolean {
    return this.ongoing.has(producerId);
  }

  /** Puts back an entry read from a snapshot. */
  restore(entry: ProducerEntry): void {
    this.producers.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset >= 0) this.ongoing.set(entry.producerId, entry.currentTxnFirstOffset);
    else this.ongoing.delete(entry.producerId);
  }

  private entry(producerId: bigint, epoch: number): ProducerEntry {
    let e = this.producers.get(producerId);
    if (!e) {
      e = { producerId, epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, e);
    }
    if (epoch !== e.epoch) {
      e.epoch = epoch;
      e.batches = [];
    }
    return e;
  }

  private openTxn(e: ProducerEntry, firstOffset: number): void {
    if (e.currentTxnFirstOffset >= 0) return;
    e.currentTxnFirstOffset = firstOffset;
    this.ongoing.set(e.producerId, firstOffset);
  }

  /** Forgets producers whose last batch is older than cutoffMs (producer.id.expiration.ms). */
  expire(cutoffMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && e.lastTimestamp >= 0 && e.lastTimestamp < cutoffMs) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Drops everything learned from offsets >= offset (log truncation). */
  truncateFrom(offset: number): void {
    for (const [id, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.currentTxnFirstOffset >= offset) {
        e.currentTxnFirstOffset = -1;
        this.ongoing.delete(id);
      }
      if (e.batches.length === 0 && e.currentTxnFirstOffset < 0) this.producers.delete(id);
    }
  }
}
