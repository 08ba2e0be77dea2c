/**
 * The records of the __transaction_state topic, in Kafka's formats
 * (transaction-coordinator/TransactionLogKey.json and
 * TransactionLogValue.json): the key is int16 version 0 followed by the
 * transactional id, the value int16 version followed by the producer id
 * and epoch, timeout, state id, partitions (null when Empty) and the last
 * update and start timestamps; a null value is a tombstone (the id
 * expired). Values are written at version 0, as Kafka does without
 * transaction version 2; version 1 (flexible, with the previous and next
 * producer ids as tagged fields) is read too.
 *
 * The in-memory record also carries the last producer epoch (KIP-360),
 * which the value does not hold: a record replayed at run time keeps it,
 * a loaded one has -1, as in Kafka.
 */
import { Reader, Writer } from '../protocol/primitives/index.js';
import { decodeTransactionLogKey, encodeTransactionLogKey } from '../protocol/generated/transaction-coordinator/transaction-log-key.js';
import { decodeTransactionLogValue, encodeTransactionLogValue } from '../protocol/generated/transaction-coordinator/transaction-log-value.js';

const KEY_VERSION = 0;
const VALUE_VERSION = 0;
const HIGHEST_VALUE_VERSION = 1;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;

/** Transaction states, with the ids the log stores and the names admin APIs show. */
export const TxnState = {
  Empty: 0,
  Ongoing: 1,
  PrepareCommit: 2,
  PrepareAbort: 3,
  CompleteCommit: 4,
  CompleteAbort: 5,
  Dead: 6,
  PrepareEpochFence: 7,
} as const;
export type TxnStateName = keyof typeof TxnState;
export type TxnStateId = (typeof TxnState)[TxnStateName];

const NAMES = Object.fromEntries(Object.entries(TxnState).map(([name, id]) => [id, name])) as Record<number, TxnStateName>;

export function txnStateName(id: TxnStateId): TxnStateName {
  return NAMES[id] as TxnStateName;
}

export function txnStateByName(name: string): TxnStateId | undefined {
  return Object.prototype.hasOwnProperty.call(TxnState, name) ? TxnState[name as TxnStateName] : undefined;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The durable state of one transactional id. */
export interface TxnMetadata {
  readonly transactionalId: string;
  readonly producerId: bigint;
  /** Producer id before the last rotation, when the producer asked for it (KIP-360); else -1. */
  readonly prevProducerId: bigint;
  readonly producerEpoch: number;
  /** Epoch before the last bump a producer asked for (KIP-360 retries); -1 otherwise and after loading. */
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TxnStateId;
  /** Partitions of the open transaction, sorted by topic then partition. */
  readonly partitions: readonly TopicPartition[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

export interface TxnRecord {
  readonly transactionalId: string;
  /** null: tombstone. */
  readonly metadata: TxnMetadata | null;
}

export class CorruptTxnRecordError extends Error {
  readonly code = 'KRILL_CORRUPT_TXN_RECORD';
}

export function encodeTxnKey(transactionalId: string): Buffer {
  const w = new Writer(32 + transactionalId.length * 3);
  w.int16(KEY_VERSION);
  encodeTransactionLogKey(w, KEY_VERSION, { transactionalId });
  return w.toBuffer();
}

export function encodeTxnValue(m: TxnMetadata | null): Buffer | null {
  if (m === null) return null;
  const byTopic = new Map<string, number[]>();
  for (const tp of m.partitions) {
    let list = byTopic.get(tp.topic);
    if (!list) byTopic.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  const w = new Writer(64 + m.partitions.length * 8);
  w.int16(VALUE_VERSION);
  encodeTransactionLogValue(w, VALUE_VERSION, {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    transactionTimeoutMs: m.txnTimeoutMs,
    transactionStatus: m.state,
    transactionPartitions: m.state === TxnState.Empty ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
    transactionLastUpdateTimestampMs: BigInt(m.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(m.txnStartTimestamp),
  });
  return w.toBuffer();
}

export function sortPartitions(list: Iterable<TopicPartition>): TopicPartition[] {
  const seen = new Map<string, TopicPartition>();
  for (const tp of list) seen.set(`${tp.topic}\u0000${tp.partition}`, tp);
  return [...seen.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

/**
 * Decodes one __transaction_state record. Unknown key or value versions
 * (records of a newer Kafka) give null and are skipped, as Kafka skips
 * them; bytes that do not parse throw CorruptTxnRecordError.
 */
export function decodeTxnRecord(key: Buffer | null, value: Buffer | null): TxnRecord | null {
  if (key === null) throw new CorruptTxnRecordError('record without a key in __transaction_state');
  try {
    const kr = new Reader(key);
    const keyVersion = kr.int16();
    if (keyVersion !== KEY_VERSION) return null;
    const transactionalId = decodeTransactionLogKey(kr, keyVersion).transactionalId;
    if (value === null) return { transactionalId, metadata: null };
    const vr = new Reader(value);
    const version = vr.int16();
    if (version < 0 || version > HIGHEST_VALUE_VERSION) return null;
    const v = decodeTransactionLogValue(vr, version);
    if (v.transactionStatus < 0 || v.transactionStatus > TxnState.PrepareEpochFence) {
      throw new CorruptTxnRecordError(`unknown transaction state ${v.transactionStatus}`);
    }
    const state = v.transactionStatus as TxnStateId;
    const partitions: TopicPartition[] = [];
    if (state !== TxnState.Empty) for (const t of v.transactionPartitions ?? []) for (const p of t.partitionIds) partitions.push({ topic: t.topic, partition: p });
    return {
      transactionalId,
      metadata: {
        transactionalId,
        producerId: v.producerId,
        prevProducerId: v.previousProducerId,
        producerEpoch: v.producerEpoch,
        lastProducerEpoch: NO_PRODUCER_EPOCH,
        txnTimeoutMs: v.transactionTimeoutMs,
        state,
        partitions: sortPartitions(partitions),
        txnStartTimestamp: Number(v.transactionStartTimestampMs),
        txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
      },
    };
  } catch (err) {
    if (err instanceof CorruptTxnRecordError) throw err;
    throw new CorruptTxnRecordError(`undecodable __transaction_state record: ${(err as Error).message}`);
  }
}
