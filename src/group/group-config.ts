/**
 * The group coordinator's settings, by Kafka's config names. Their defaults
 * (Kafka's) live in the broker config catalogue with every other setting.
 */
import { BrokerConfig } from '../config/broker-config.js';

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

/** Kafka's fixed classic new-member join timeout (KIP-394), not a config. */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

/** Reads the group settings; defaults come from the broker config catalogue. */
export function groupConfigFrom(config: BrokerConfig): GroupConfig {
  return {
    minSessionTimeoutMs: config.int('group.min.session.timeout.ms'),
    maxSessionTimeoutMs: config.int('group.max.session.timeout.ms'),
    initialRebalanceDelayMs: config.int('group.initial.rebalance.delay.ms'),
    maxSize: config.int('group.max.size'),
    offsetMetadataMaxBytes: config.int('offset.metadata.max.bytes'),
    offsetsRetentionMs: config.int('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: config.int('offsets.retention.check.interval.ms'),
    offsetsTopicPartitions: config.int('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: config.int('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: config.int('offsets.topic.segment.bytes'),
    offsetsLoadBufferBytes: config.int('offsets.load.buffer.size'),
    newMemberJoinTimeoutMs: NEW_MEMBER_JOIN_TIMEOUT_MS,
  };
}

/** The settings of a broker with no group overrides (Kafka's defaults). */
export const GROUP_CONFIG_DEFAULTS: GroupConfig = groupConfigFrom(new BrokerConfig());
