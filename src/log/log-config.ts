/**
 * Per-log configuration. Fields are the camelCase forms of Kafka's broker
 * (`log.*`) and topic-level names; `LOG_CONFIG_KAFKA_NAMES` keeps the mapping
 * verbatim so config/ can translate both spellings. Defaults match Kafka.
 */
import { InvalidLogConfigError } from './errors.js';

/** cleanup.policy: `delete`, `compact`, or both. */
export interface CleanupPolicy {
  readonly delete: boolean;
  readonly compact: boolean;
}

export interface LogConfig {
  /** log.segment.bytes / segment.bytes: roll when an append would grow the active segment past this. */
  readonly segmentBytes: number;
  /** log.roll.ms / segment.ms: roll when the active segment spans more than this (by record timestamps). */
  readonly segmentMs: number;
  /** log.index.size.max.bytes / segment.index.bytes: roll when either index reaches this size. */
  readonly segmentIndexBytes: number;
  /** log.index.interval.bytes / index.interval.bytes: bytes appended between sparse index entries. */
  readonly indexIntervalBytes: number;
  /** log.flush.interval.messages / flush.messages: fsync after this many unflushed offsets. */
  readonly flushIntervalMessages: number;
  /** log.flush.interval.ms / flush.ms: the log manager fsyncs logs unflushed for this long. */
  readonly flushIntervalMs: number;
  /** log.retention.ms / retention.ms: delete segments whose newest record is older (-1: keep forever). */
  readonly retentionMs: number;
  /** log.retention.bytes / retention.bytes: delete old segments while the log is larger (-1: no limit). */
  readonly retentionBytes: number;
  /** log.cleanup.policy / cleanup.policy. */
  readonly cleanupPolicy: CleanupPolicy;
  /** log.cleaner.delete.retention.ms / delete.retention.ms: how long compaction keeps tombstones. */
  readonly deleteRetentionMs: number;
  /** log.cleaner.min.cleanable.ratio / min.cleanable.dirty.ratio: dirty share of the log that triggers cleaning. */
  readonly minCleanableDirtyRatio: number;
  /** log.cleaner.min.compaction.lag.ms / min.compaction.lag.ms: records younger than this stay uncompacted. */
  readonly minCompactionLagMs: number;
  /** log.cleaner.max.compaction.lag.ms / max.compaction.lag.ms: dirty records older than this force a cleaning. */
  readonly maxCompactionLagMs: number;
  /** log.segment.delete.delay.ms / file.delete.delay.ms: how long deleted segment files linger as `.deleted`. */
  readonly fileDeleteDelayMs: number;
}

const GIB = 1024 * 1024 * 1024;

export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: GIB,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  // Kafka's default is Long.MAX_VALUE: rely on replication, not fsync.
  flushIntervalMessages: Number.MAX_SAFE_INTEGER,
  flushIntervalMs: Number.MAX_SAFE_INTEGER,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze({ delete: true, compact: false }),
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  fileDeleteDelayMs: 60_000,
});

/** Field -> [broker config name, topic config name]. */
export const LOG_CONFIG_KAFKA_NAMES: Readonly<Record<keyof LogConfig, readonly [string, string]>> = {
  segmentBytes: ['log.segment.bytes', 'segment.bytes'],
  segmentMs: ['log.roll.ms', 'segment.ms'],
  segmentIndexBytes: ['log.index.size.max.bytes', 'segment.index.bytes'],
  indexIntervalBytes: ['log.index.interval.bytes', 'index.interval.bytes'],
  flushIntervalMessages: ['log.flush.interval.messages', 'flush.messages'],
  flushIntervalMs: ['log.flush.interval.ms', 'flush.ms'],
  retentionMs: ['log.retention.ms', 'retention.ms'],
  retentionBytes: ['log.retention.bytes', 'retention.bytes'],
  cleanupPolicy: ['log.cleanup.policy', 'cleanup.policy'],
  deleteRetentionMs: ['log.cleaner.delete.retention.ms', 'delete.retention.ms'],
  minCleanableDirtyRatio: ['log.cleaner.min.cleanable.ratio', 'min.cleanable.dirty.ratio'],
  minCompactionLagMs: ['log.cleaner.min.compaction.lag.ms', 'min.compaction.lag.ms'],
  maxCompactionLagMs: ['log.cleaner.max.compaction.lag.ms', 'max.compaction.lag.ms'],
  fileDeleteDelayMs: ['log.segment.delete.delay.ms', 'file.delete.delay.ms'],
};

type IntegerField = Exclude<keyof LogConfig, 'cleanupPolicy' | 'minCleanableDirtyRatio'>;

/** Lower bounds as Kafka declares them (segment.bytes >= 14, index >= one entry, -1 disables retention). */
const MINIMUMS: Readonly<Record<IntegerField, number>> = {
  segmentBytes: 14,
  segmentMs: 1,
  segmentIndexBytes: 12,
  indexIntervalBytes: 0,
  flushIntervalMessages: 1,
  flushIntervalMs: 0,
  retentionMs: -1,
  retentionBytes: -1,
  deleteRetentionMs: 0,
  minCompactionLagMs: 0,
  maxCompactionLagMs: 1,
  fileDeleteDelayMs: 0,
};

/** Parses a cleanup.policy value (`delete`, `compact`, `compact,delete` in any order). */
export function parseCleanupPolicy(value: string): CleanupPolicy {
  const items = value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const bad = items.find((i) => i !== 'delete' && i !== 'compact');
  if (bad !== undefined || items.length === 0) {
    throw new InvalidLogConfigError(`cleanup.policy must be delete, compact or both, got ${JSON.stringify(value)}`);
  }
  return Object.freeze({ delete: items.includes('delete'), compact: items.includes('compact') });
}

/** Merges overrides over a base config and validates the result. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = defaultLogConfig): LogConfig {
  const merged: LogConfig = { ...base, ...stripUndefined(overrides) };
  for (const key of Object.keys(MINIMUMS) as IntegerField[]) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < MINIMUMS[key]) {
      const [name] = LOG_CONFIG_KAFKA_NAMES[key];
      throw new InvalidLogConfigError(`${name} must be an integer >= ${MINIMUMS[key]}, got ${String(value)}`);
    }
  }
  if (merged.segmentBytes > 0x7fffffff) {
    throw new InvalidLogConfigError(`log.segment.bytes must fit in an int32, got ${merged.segmentBytes}`);
  }
  const ratio = merged.minCleanableDirtyRatio;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1)) {
    throw new InvalidLogConfigError(`log.cleaner.min.cleanable.ratio must be in [0, 1], got ${String(ratio)}`);
  }
  const policy = merged.cleanupPolicy;
  if (!policy.delete && !policy.compact) throw new InvalidLogConfigError('cleanup.policy must name delete, compact or both');
  return Object.freeze({ ...merged, cleanupPolicy: Object.freeze({ delete: policy.delete, compact: policy.compact }) });
}

function stripUndefined(o: Partial<LogConfig>): Partial<LogConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== undefined) out[k] = v;
  }
  return out as Partial<LogConfig>;
}
