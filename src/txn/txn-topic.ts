/**
 * The __transaction_state topic: which partition (and so which
 * coordinator) owns a transactional id — abs(hashCode) % partitions, as
 * Kafka computes it, so Krill and Kafka agree — and how the topic is
 * created on first use (FindCoordinator with key type TRANSACTION):
 * transaction.state.log.num.partitions partitions, replication factor
 * capped at the live brokers, compacted, uncompressed, segments of
 * transaction.state.log.segment.bytes, unclean election off.
 */
import { partitionFor } from '../group/partition-for.js';
import type { TxnConfig } from './txn-config.js';

export const TRANSACTION_STATE_TOPIC = '__transaction_state';

export function txnPartitionFor(transactionalId: string, partitions: number): number {
  return partitionFor(transactionalId, partitions);
}

export function txnTopicSpec(config: TxnConfig, liveBrokers: number): {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: [];
  configs: Array<{ name: string; value: string }>;
} {
  const replicationFactor = Math.max(1, Math.min(config.stateLogReplicationFactor, liveBrokers));
  return {
    name: TRANSACTION_STATE_TOPIC,
    numPartitions: config.stateLogPartitions,
    replicationFactor,
    assignments: [],
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'uncompressed' },
      { name: 'min.insync.replicas', value: String(Math.max(1, Math.min(config.stateLogMinIsr, replicationFactor))) },
      { name: 'segment.bytes', value: String(config.stateLogSegmentBytes) },
      { name: 'unclean.leader.election.enable', value: 'false' },
    ],
  };
}
