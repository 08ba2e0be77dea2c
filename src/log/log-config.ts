/**
 * Per-log configuration. Fields are the camelCase forms of Kafka's broker
 * (`log.*`) and topic-level names; `LOG_CONFIG_KAFKA_NAMES` keeps the mapping
 * verbatim so config/ can translate both spellings. Defaults match Kafka.
 */
import { InvalidLogConfigError } from './errors.js';

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
});

/** Field -> [broker config name, topic config name]. */
export const LOG_CONFIG_KAFKA_NAMES: Readonly<Record<keyof LogConfig, readonly [string, string]>> = {
  segmentBytes: ['log.segment.bytes', 'segment.bytes'],
  segmentMs: ['log.roll.ms', 'segment.ms'],
  segmentIndexBytes: ['log.index.size.max.bytes', 'segment.index.bytes'],
  indexIntervalBytes: ['log.index.interval.bytes', 'index.interval.bytes'],
  flushIntervalMessages: ['log.flush.interval.messages', 'flush.messages'],
  flushIntervalMs: ['log.flush.interval.ms', 'flush.ms'],
};

/** Lower bounds as Kafka declares them (segment.bytes >= 14, index >= one entry). */
const MINIMUMS: Readonly<Record<keyof LogConfig, number>> = {
  segmentBytes: 14,
  segmentMs: 1,
  segmentIndexBytes: 12,
  indexIntervalBytes: 0,
  flushIntervalMessages: 1,
  flushIntervalMs: 0,
};

/** Merges overrides over a base config and validates the result. */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = defaultLogConfig): LogConfig {
  const merged: LogConfig = { ...base, ...stripUndefined(overrides) };
  for (const key of Object.keys(MINIMUMS) as Array<keyof LogConfig>) {
    const value = merged[key];
    if (!Number.isSafeInteger(value) || value < MINIMUMS[key]) {
      const [name] = LOG_CONFIG_KAFKA_NAMES[key];
      throw new InvalidLogConfigError(`${name} must be an integer >= ${MINIMUMS[key]}, got ${String(value)}`);
    }
  }
  if (merged.segmentBytes > 0x7fffffff) {
    throw new InvalidLogConfigError(`log.segment.bytes must fit in an int32, got ${merged.segmentBytes}`);
  }
  return Object.freeze(merged);
}

function stripUndefined(o: Partial<LogConfig>): Partial<LogConfig> {
  const out: Partial<Record<keyof LogConfig, number>> = {};
  for (const [k, v] of Object.entries(o) as Array<[keyof LogConfig, number | undefined]>) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}
