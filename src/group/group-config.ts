/**
 * The group coordinator's settings, by Kafka's config names and with
 * Kafka's defaults. Keys Krill's broker config does not define are still
 * accepted from server.properties (unknown keys are kept), so each is read
 * here with its default.
 */
import type { BrokerConfig } from '../config/broker-config.js';

export interface GroupConfig {
  /** group.min.session.timeout.ms: shortest session a member may ask for. */
  readonly minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms: longest session a member may ask for. */
  readonly maxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long a new group waits for more members. */
  readonly initialRebalanceDelayMs: number;
  /** group.max.size: most members of one classic group. */
  readonly maxSize: number;
  /** offset.metadata.max.bytes: longest metadata string of a committed offset. */
  readonly offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes, in ms: how long offsets of an empty group are kept. */
  readonly offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms: how often expired offsets are removed. */
  readonly offsetsRetentionCheckIntervalMs: number;
  /** offsets.topic.num.partitions: partitions of __consumer_offsets when it is created. */
  readonly offsetsTopicPartitions: number;
  /** offsets.topic.replication.factor, capped at the live brokers when the topic is created. */
  readonly offsetsTopicReplicationFactor: number;
  /** offsets.topic.segment.bytes: segment size of __consumer_offsets. */
  readonly offsetsTopicSegmentBytes: number;
  /** offsets.load.buffer.size: bytes read at a time when a coordinator partition loads. */
  readonly offsetsLoadBufferBytes: number;
  /**
   * How long a new member's JoinGroup may stay parked (Kafka's fixed
   * classic new-member join timeout, KIP-394): 5 minutes.
   */
  readonly newMemberJoinTimeoutMs: number;
}

export const GROUP_CONFIG_DEFAULTS: GroupConfig = {
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3000,
  maxSize: 2_147_483_647,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 10_080 * 60_000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetsTopicPartitions: 50,
  offsetsTopicReplicationFactor: 3,
  offsetsTopicSegmentBytes: 104_857_600,
  offsetsLoadBufferBytes: 5_242_880,
  newMemberJoinTimeoutMs: 300_000,
};

function intOr(config: BrokerConfig, key: string, fallback: number): number {
  const raw = config.raw(key);
  if (raw === null || raw.trim() === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new Error(`${key}=${JSON.stringify(raw)} is not a number`);
  return v;
}

export function groupConfigFrom(config: BrokerConfig): GroupConfig {
  const d = GROUP_CONFIG_DEFAULTS;
  return {
    minSessionTimeoutMs: intOr(config, 'group.min.session.timeout.ms', d.minSessionTimeoutMs),
    maxSessionTimeoutMs: intOr(config, 'group.max.session.timeout.ms', d.maxSessionTimeoutMs),
    initialRebalanceDelayMs: intOr(config, 'group.initial.rebalance.delay.ms', d.initialRebalanceDelayMs),
    maxSize: intOr(config, 'group.max.size', d.maxSize),
    offsetMetadataMaxBytes: intOr(config, 'offset.metadata.max.bytes', d.offsetMetadataMaxBytes),
    offsetsRetentionMs: intOr(config, 'offsets.retention.minutes', d.offsetsRetentionMs / 60_000) * 60_000,
    offsetsRetentionCheckIntervalMs: intOr(config, 'offsets.retention.check.interval.ms', d.offsetsRetentionCheckIntervalMs),
    offsetsTopicPartitions: intOr(config, 'offsets.topic.num.partitions', d.offsetsTopicPartitions),
    offsetsTopicReplicationFactor: intOr(config, 'offsets.topic.replication.factor', d.offsetsTopicReplicationFactor),
    offsetsTopicSegmentBytes: intOr(config, 'offsets.topic.segment.bytes', d.offsetsTopicSegmentBytes),
    offsetsLoadBufferBytes: intOr(config, 'offsets.load.buffer.size', d.offsetsLoadBufferBytes),
    newMemberJoinTimeoutMs: d.newMemberJoinTimeoutMs,
  };
}
