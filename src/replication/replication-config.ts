/**
 * Replication settings, by Kafka's broker config names and defaults. Read
 * with `raw` so they need no entry in the broker config table (unknown
 * keys are accepted there and reported).
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/broker-config.js';

export interface ReplicationSettings {
  /** replica.lag.time.max.ms: a follower not caught up for this long leaves the ISR. */
  readonly replicaLagTimeMaxMs: number;
  /** replica.high.watermark.checkpoint.interval.ms */
  readonly hwCheckpointIntervalMs: number;
  /** Deadline of acks=all appends made without a request timeout (coordinators' writes). */
  readonly requestTimeoutMs: number;
  readonly fetcher: {
    /** replica.fetch.wait.max.ms */
    readonly maxWaitMs: number;
    /** replica.fetch.min.bytes */
    readonly minBytes: number;
    /** replica.fetch.response.max.bytes */
    readonly maxBytes: number;
    /** replica.fetch.max.bytes */
    readonly partitionMaxBytes: number;
    /** replica.fetch.backoff.ms */
    readonly backoffMs: number;
    /** replica.socket.timeout.ms */
    readonly requestTimeoutMs: number;
  };
}

// Defaults live with the other broker configs in src/config/broker-config.ts.

export function replicationSettings(config: BrokerConfig): ReplicationSettings {
  const get = (key: string): number => {
    const raw = config.raw(key);
    const v = Number(raw);
    if (!Number.isSafeInteger(v) || v < 0) throw new ConfigError(`${key}=${JSON.stringify(raw)} is not a non-negative integer`);
    return v;
  };
  return {
    replicaLagTimeMaxMs: Math.max(1, get('replica.lag.time.max.ms')),
    hwCheckpointIntervalMs: Math.max(100, get('replica.high.watermark.checkpoint.interval.ms')),
    requestTimeoutMs: get('krill.replication.append.timeout.ms'),
    fetcher: {
      maxWaitMs: get('replica.fetch.wait.max.ms'),
      minBytes: get('replica.fetch.min.bytes'),
      maxBytes: get('replica.fetch.response.max.bytes'),
      partitionMaxBytes: get('replica.fetch.max.bytes'),
      backoffMs: get('replica.fetch.backoff.ms'),
      requestTimeoutMs: Math.max(1, get('replica.socket.timeout.ms')),
    },
  };
}
