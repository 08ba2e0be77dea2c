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
 * Sequences wrap from 2^31-1 to 0. Pure: no I/O, no clock.
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

export function lastSequence(firstSeq: number, lastOffsetDelta: number): number {
  return (firstSeq + lastOffsetDelta) % SEQ_MOD;
}

export function nextSequence(seq: number): number {
  return (seq + 1) % SEQ_MOD;
}

export class ProducerStateManager {
  readonly producers = new Map<bigint, ProducerEntry>();

  /** Decides whether a client batch may be appended. */
  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceCheck {
    const e = this.producers.get(producerId);
    if (!e) return APPEND;
    if (epoch < e.epoch) {
      return { kind: 'error', error: 'INVALID_PRODUCER_EPOCH', message: `producer ${producerId} epoch ${epoch} is older than the current epoch ${e.epoch}` };
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
    let e = this.producers.get(producerId);
    if (!e) {
      e = { producerId, epoch, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(producerId, e);
    }
    if (epoch !== e.epoch) {
      e.epoch = epoch;
      e.batches = [];
    }
    e.batches.push(batch);
    if (e.batches.length > MAX_CACHED_BATCHES) e.batches.shift();
    e.lastTimestamp = batch.timestamp;
    if (transactional && e.currentTxnFirstOffset < 0) e.currentTxnFirstOffset = batch.firstOffset;
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
      if (e.batches.length === 0) this.producers.delete(id);
    }
  }
}
