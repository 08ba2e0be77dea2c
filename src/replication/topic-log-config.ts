/** A topic's log settings: its configs over the broker defaults (Kafka's LogConfig from topic overrides). */
import type { BrokerConfig } from '../config/broker-config.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { TopicImage } from '../controller/metadata-image.js';
import { type LogConfig, parseCleanupPolicy } from '../log/log-config.js';

export function topicLogConfig(t: TopicImage, config: BrokerConfig): Partial<LogConfig> {
  const v = (k: string): number => Number(topicConfigValue(k, t.configs, config));
  const capped = (k: string): number => Math.min(v(k), Number.MAX_SAFE_INTEGER);
  return {
    segmentBytes: v('segment.bytes'),
    segmentMs: v('segment.ms'),
    segmentIndexBytes: v('segment.index.bytes'),
    indexIntervalBytes: v('index.interval.bytes'),
    flushIntervalMessages: capped('flush.messages'),
    flushIntervalMs: capped('flush.ms'),
    retentionMs: capped('retention.ms'),
    retentionBytes: capped('retention.bytes'),
    cleanupPolicy: parseCleanupPolicy(topicConfigValue('cleanup.policy', t.configs, config) ?? 'delete'),
    deleteRetentionMs: capped('delete.retention.ms'),
    minCleanableDirtyRatio: v('min.cleanable.dirty.ratio'),
    minCompactionLagMs: capped('min.compaction.lag.ms'),
    maxCompactionLagMs: capped('max.compaction.lag.ms'),
    fileDeleteDelayMs: capped('file.delete.delay.ms'),
  };
}
