/**
 * The transaction coordinator's settings, by Kafka's config names and with
 * Kafka's defaults (TransactionStateManagerConfigs, TransactionLogConfigs).
 * Keys Krill's broker config does not define are still read from
 * server.properties, each with its default here.
 */
import type { BrokerConfig } from '../config/broker-config.js';

export interface TxnConfig {
  /** transaction.state.log.num.partitions: partitions of __transaction_state when it is created. */
  readonly stateLogPartitions: number;
  /** transaction.state.log.replication.factor, capped at the live brokers when the topic is created. */
  readonly stateLogReplicationFactor: number;
  /** transaction.state.log.segment.bytes: segment size of __transaction_state. */
  readonly stateLogSegmentBytes: number;
  /** transaction.state.log.min.isr: min.insync.replicas of __transaction_state (capped at its replication factor). */
  readonly stateLogMinIsr: number;
  /** transaction.state.log.load.buffer.size: bytes read at a time when a partition loads. */
  readonly stateLogLoadBufferBytes: number;
  /** transaction.max.timeout.ms: the longest transaction timeout a producer may ask for. */
  readonly maxTimeoutMs: number;
  /** transactional.id.expiration.ms: idle transactional ids (no transaction open) are removed after this. */
  readonly idExpirationMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms: how often idle ids are looked for. */
  readonly removeExpiredIntervalMs: number;
  /** transaction.partition.verification.enable: a transactional batch opening a transaction must be in it (KIP-890). */
  readonly partitionVerification: boolean;
  /** Wait between retries of transaction markers whose partition could not take them. */
  readonly markerRetryBackoffMs: number;
}

export const TXN_CONFIG_DEFAULTS: TxnConfig = {
  stateLogPartitions: 50,
  stateLogReplicationFactor: 3,
  stateLogSegmentBytes: 104_857_600,
  stateLogMinIsr: 2,
  stateLogLoadBufferBytes: 5_242_880,
  maxTimeoutMs: 900_000,
  idExpirationMs: 604_800_000,
  removeExpiredIntervalMs: 3_600_000,
  partitionVerification: true,
  markerRetryBackoffMs: 100,
};

function intOr(config: BrokerConfig, key: string, fallback: number): number {
  const raw = config.raw(key);
  if (raw === null || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`${key}=${JSON.stringify(raw)} is not a non-negative integer`);
  return v;
}

export function txnConfigFrom(config: BrokerConfig): TxnConfig {
  const d = TXN_CONFIG_DEFAULTS;
  const verification = config.raw('transaction.partition.verification.enable');
  const partitions = intOr(config, 'transaction.state.log.num.partitions', d.stateLogPartitions);
  if (partitions < 1) throw new Error('transaction.state.log.num.partitions must be at least 1');
  return {
    stateLogPartitions: partitions,
    stateLogReplicationFactor: intOr(config, 'transaction.state.log.replication.factor', d.stateLogReplicationFactor),
    stateLogSegmentBytes: intOr(config, 'transaction.state.log.segment.bytes', d.stateLogSegmentBytes),
    stateLogMinIsr: intOr(config, 'transaction.state.log.min.isr', d.stateLogMinIsr),
    stateLogLoadBufferBytes: intOr(config, 'transaction.state.log.load.buffer.size', d.stateLogLoadBufferBytes),
    maxTimeoutMs: intOr(config, 'transaction.max.timeout.ms', d.maxTimeoutMs),
    idExpirationMs: intOr(config, 'transactional.id.expiration.ms', d.idExpirationMs),
    removeExpiredIntervalMs: Math.max(1, intOr(config, 'transaction.remove.expired.transaction.cleanup.interval.ms', d.removeExpiredIntervalMs)),
    partitionVerification: verification === null ? d.partitionVerification : verification.trim().toLowerCase() === 'true',
    markerRetryBackoffMs: d.markerRetryBackoffMs,
  };
}
