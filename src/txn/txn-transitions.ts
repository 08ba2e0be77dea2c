/**
 * The transitions of a transactional id's metadata, as Kafka's
 * TransactionMetadata prepares them; pure functions from the current
 * metadata to the next one (which the coordinator writes, then replays).
 *
 *   Empty / CompleteCommit / CompleteAbort --InitProducerId--> Empty (epoch+1)
 *   Empty / Complete* / Ongoing --AddPartitions--> Ongoing
 *   Ongoing --EndTxn(commit)--> PrepareCommit --markers--> CompleteCommit
 *   Ongoing --EndTxn(abort), timeout, InitProducerId--> PrepareAbort --markers--> CompleteAbort
 *
 * A timeout or an InitProducerId during Ongoing fences the producer: the
 * abort is written with the epoch bumped (Kafka's PrepareEpochFence, which
 * never reaches the log) so the old producer's requests are refused.
 * Epochs are int16; at 32766 the producer id is rotated (KIP-360).
 */
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, sortPartitions, TxnState, type TopicPartition, type TxnMetadata } from './txn-records.js';

export const MAX_PRODUCER_EPOCH = 32767;

export function isEpochExhausted(epoch: number): boolean {
  return epoch >= MAX_PRODUCER_EPOCH - 1;
}

export function isPreparing(m: TxnMetadata): boolean {
  return m.state === TxnState.PrepareCommit || m.state === TxnState.PrepareAbort;
}

/** Whether a transaction is open or finishing (so no new producer epoch may start). */
export function hasPendingTransaction(m: TxnMetadata): boolean {
  return m.state === TxnState.Ongoing || isPreparing(m);
}

export function hasPartition(m: TxnMetadata, topic: string, partition: number): boolean {
  return m.partitions.some((tp) => tp.topic === topic && tp.partition === partition);
}

/** A transactional id seen for the first time: Empty, no epoch yet. */
export function newTxnMetadata(transactionalId: string, producerId: bigint, txnTimeoutMs: number, now: number): TxnMetadata {
  return {
    transactionalId,
    producerId,
    prevProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: TxnState.Empty,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  };
}

/**
 * KIP-360: a producer that offers its id and epoch keeps its id when it is
 * the current one, when the metadata is fresh, or when it is the previous
 * id and its epoch was exhausted (a retried rotation).
 */
export function isValidProducerId(m: TxnMetadata, expected: { producerId: bigint; producerEpoch: number }): boolean {
  return (
    m.producerEpoch === NO_PRODUCER_EPOCH ||
    expected.producerId === m.producerId ||
    (expected.producerId === m.prevProducerId && isEpochExhausted(expected.producerEpoch))
  );
}

/**
 * InitProducerId on a transactional id with no open transaction: the next
 * epoch. Without an expected epoch it is a new producer session; with one
 * (KIP-360) it must be the current epoch (bumped), or the last one (a retry
 * of a bump that succeeded: unchanged), else PRODUCER_FENCED.
 */
export function incrementEpoch(m: TxnMetadata, txnTimeoutMs: number, expectedEpoch: number | null, now: number): TxnMetadata | 'PRODUCER_FENCED' {
  let epoch: number;
  let lastEpoch: number;
  if (expectedEpoch === null) {
    epoch = m.producerEpoch + 1;
    lastEpoch = NO_PRODUCER_EPOCH;
  } else if (m.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === m.producerEpoch) {
    epoch = m.producerEpoch + 1;
    lastEpoch = m.producerEpoch;
  } else if (expectedEpoch === m.lastProducerEpoch) {
    epoch = m.producerEpoch;
    lastEpoch = m.lastProducerEpoch;
  } else {
    return 'PRODUCER_FENCED';
  }
  return { ...m, producerEpoch: epoch, lastProducerEpoch: lastEpoch, txnTimeoutMs, state: TxnState.Empty, partitions: [], txnStartTimestamp: -1, txnLastUpdateTimestamp: now };
}

/** The epoch ran out: a new producer id at epoch 0. */
export function rotateProducerId(m: TxnMetadata, producerId: bigint, txnTimeoutMs: number, now: number, recordLast: boolean): TxnMetadata {
  return {
    ...m,
    producerId,
    prevProducerId: recordLast ? m.producerId : NO_PRODUCER_ID,
    producerEpoch: 0,
    lastProducerEpoch: recordLast ? m.producerEpoch : NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: TxnState.Empty,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  };
}

/** Partitions join the transaction; the first ones start it. */
export function addPartitions(m: TxnMetadata, added: readonly TopicPartition[], now: number): TxnMetadata {
  const starting = m.state === TxnState.Empty || m.state === TxnState.CompleteCommit || m.state === TxnState.CompleteAbort;
  return {
    ...m,
    state: TxnState.Ongoing,
    partitions: sortPartitions([...m.partitions, ...added]),
    txnStartTimestamp: starting ? now : m.txnStartTimestamp,
    txnLastUpdateTimestamp: now,
  };
}

/** EndTxn on an Ongoing transaction: PrepareCommit or PrepareAbort, markers to follow. */
export function prepareEnd(m: TxnMetadata, commit: boolean, now: number): TxnMetadata {
  return { ...m, state: commit ? TxnState.PrepareCommit : TxnState.PrepareAbort, txnLastUpdateTimestamp: now };
}

/** Fences the producer of an Ongoing transaction and aborts it (timeout, or a new InitProducerId). */
export function fenceAndAbort(m: TxnMetadata, now: number): TxnMetadata {
  const epoch = m.producerEpoch >= MAX_PRODUCER_EPOCH ? m.producerEpoch : m.producerEpoch + 1;
  return { ...m, producerEpoch: epoch, lastProducerEpoch: NO_PRODUCER_EPOCH, state: TxnState.PrepareAbort, txnLastUpdateTimestamp: now };
}

/** Every marker is written: CompleteCommit or CompleteAbort, no partitions. */
export function complete(m: TxnMetadata, now: number): TxnMetadata {
  return { ...m, state: m.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort, partitions: [], txnLastUpdateTimestamp: now };
}
