/**
 * Benchmark configuration: full mode (for people: several repeats of
 * 10-second runs) and quick mode (for CI: one short repeat of everything,
 * well under two minutes), with every knob overridable from the command
 * line (options.ts).
 */
import { tmpdir } from 'node:os';

export type CompressionName = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export const COMPRESSION_NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface BenchConfig {
  quick: boolean;
  /** Where the JSON report goes. */
  out: string;
  /** Parent directory of the brokers' temporary log dirs (and the disk ceiling's file). */
  dataRoot: string;
  repeats: number;
  durationMs: number;
  warmupMs: number;
  /** Load generator processes for throughput scenarios. */
  workers: number;
  /** Connections per worker. */
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
  partitions: number;
  partitionsPerRequest: number;
  batchBytes: number;
  compression: CompressionName;
  compressible: boolean;
  recordSizes: number[];
  /** Bytes of records prepared for the consume scenarios (per record size). */
  consumeBytes: number;
  fetchBytes: number;
  /** Bytes each log-level append run writes (the log group: in-process PartitionLog). */
  logBytes: number;
  e2eRates: number[];
  e2eRecordBytes: number;
  e2ePartitions: number;
  manyPartitions: number;
  manyProducers: number;
  manyRecordBytes: number;
  manyBatchBytes: number;
  /**
   * How long the many-partitions broker is left idle after the load before
   * RSS is read again (V8 shrinks its heap only after some idle time); 0
   * skips that reading.
   */
  idleSettleMs: number;
  kafkajs: boolean;
  /** Ceilings: seconds of each measurement. */
  ceilingMs: number;
  diskChunkSizes: number[];
  /** Run brokers under --cpu-prof and summarize hot functions per scenario. */
  profile: boolean;
  profileTop: number;
  /** Only these scenario groups (ceilings always run). */
  only: string[];
  /**
   * Scheduling priority (nice value) for the broker, the workers and the
   * orchestrator; null leaves it alone. Negative values need privileges and
   * take CPU from other work on a shared machine: a diagnostic, not a default.
   */
  nice: number | null;
}

export function defaultConfig(quick: boolean): BenchConfig {
  return {
    quick,
    out: 'bench-report.json',
    dataRoot: tmpdir(),
    repeats: quick ? 1 : 3,
    durationMs: quick ? 1500 : 10_000,
    warmupMs: quick ? 500 : 2000,
    workers: 2,
    connections: 2,
    depth: 4,
    partitions: 8,
    partitionsPerRequest: 1,
    batchBytes: 64 * 1024,
    compression: 'none',
    compressible: false,
    recordSizes: [100, 1024],
    consumeBytes: quick ? 32e6 : 1e9,
    fetchBytes: 1024 * 1024,
    logBytes: quick ? 64 * 2 ** 20 : 2 ** 30,
    e2eRates: [10_000, 50_000],
    e2eRecordBytes: 1024,
    e2ePartitions: 1,
    manyPartitions: quick ? 200 : 1000,
    manyProducers: quick ? 20 : 100,
    manyRecordBytes: 1024,
    manyBatchBytes: 16 * 1024,
    idleSettleMs: quick ? 0 : 45_000,
    kafkajs: true,
    ceilingMs: quick ? 750 : 3000,
    diskChunkSizes: [64 * 1024, 1024 * 1024],
    profile: false,
    profileTop: 15,
    only: [],
    nice: null,
  };
}
