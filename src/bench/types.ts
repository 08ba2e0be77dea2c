/**
 * Types shared by the benchmark's orchestrator (main process) and its load
 * generator workers (child processes). Everything here crosses the IPC
 * channel as JSON, so it holds plain data only.
 */
import type { CompressionName } from './batches.js';
import type { HistogramData } from './histogram.js';

/** The broker's address as the workers dial it. */
export interface Target {
  host: string;
  port: number;
}

/** Shape of the record batches a producer sends. */
export interface BatchShape {
  recordBytes: number;
  recordsPerBatch: number;
  compression: CompressionName;
  /** Repetitive values instead of random bytes (so compression has something to do). */
  compressible: boolean;
}

/** Pipelined produce at full speed (or up to a record count). */
export interface ProduceJob {
  kind: 'produce';
  target: Target;
  topic: string;
  /** Partitions this worker writes; split across its connections. */
  partitions: number[];
  connections: number;
  /** Requests in flight per connection. */
  depth: number;
  /** Batches (one per partition) in each request. */
  partitionsPerRequest: number;
  acks: number;
  shape: BatchShape;
  /** Epoch ms: responses count from measureStartMs to measureEndMs. */
  measureStartMs: number;
  measureEndMs: number;
  /** Stop sending once this many records are acknowledged (data preparation), else at measureEndMs. */
  stopAfterRecords?: number;
}

/** Fixed-rate produce of timestamped records, for end-to-end latency. */
export interface RateProduceJob {
  kind: 'rate-produce';
  target: Target;
  topic: string;
  partitions: number[];
  recordsPerSec: number;
  recordBytes: number;
  acks: number;
  measureStartMs: number;
  measureEndMs: number;
}

/** Reads partitions from offset 0 up to known end offsets as fast as possible. */
export interface ConsumeJob {
  kind: 'consume';
  target: Target;
  topic: string;
  /** Partition index and the offset where it ends. */
  partitions: Array<{ partition: number; endOffset: number }>;
  connections: number;
  /** Fetch requests in flight per connection (each for a different partition). */
  depth: number;
  partitionMaxBytes: number;
}

/** Long-poll consumer that measures produce-to-delivery latency from record values. */
export interface LatencyConsumeJob {
  kind: 'latency-consume';
  target: Target;
  topic: string;
  partitions: number[];
  measureStartMs: number;
  measureEndMs: number;
  /** After measureEndMs, stop once nothing arrived for this long (the producer has drained). */
  idleStopMs: number;
  /** Epoch ms at which to stop fetching in any case. */
  stopAtMs: number;
}

/** kafkajs producer as users run it (reference client). */
export interface KafkajsProduceJob {
  kind: 'kafkajs-produce';
  target: Target;
  topic: string;
  recordBytes: number;
  messagesPerSend: number;
  concurrentSends: number;
  acks: number;
  measureStartMs: number;
  measureEndMs: number;
}

/** kafkajs consumer (needs the group APIs) reading what is there. */
export interface KafkajsConsumeJob {
  kind: 'kafkajs-consume';
  target: Target;
  topic: string;
  totalRecords: number;
  timeoutMs: number;
}

/** One side of the loopback TCP ceiling. */
export interface SinkJob {
  kind: 'sink';
  measureStartMs: number;
  measureEndMs: number;
}
export interface SourceJob {
  kind: 'source';
  target: Target;
  connections: number;
  chunkBytes: number;
  stopAtMs: number;
}

/** Round-trip floor: an echo server and a client pinging it at a fixed rate. */
export interface EchoJob {
  kind: 'echo';
  stopAtMs: number;
}
export interface PingJob {
  kind: 'ping';
  target: Target;
  messageBytes: number;
  perSec: number;
  measureStartMs: number;
  measureEndMs: number;
}

export type WorkerJob =
  | ProduceJob
  | RateProduceJob
  | ConsumeJob
  | LatencyConsumeJob
  | KafkajsProduceJob
  | KafkajsConsumeJob
  | SinkJob
  | SourceJob
  | EchoJob
  | PingJob;

/** What a worker reports when its job ends. */
export interface WorkerResult {
  /** Records acknowledged (produce) or delivered (consume) in the measured window. */
  records: number;
  /** Record-set bytes (batch bytes on the wire) in the measured window. */
  bytes: number;
  /** Length of the measured window in ms. */
  elapsedMs: number;
  /** Requests answered with an error code, or other failures. */
  errors: number;
  /** First error seen, for the report. */
  firstError?: string;
  /** Request round-trip (produce) or produce-to-delivery (latency consumer), microseconds. */
  latency?: HistogramData;
  /** CPU time this worker used in the window, ms. */
  cpuMs: number;
  /** Job-specific extras (sent counts, end offsets, ...). */
  extra?: Record<string, number>;
}

/** Messages from a worker to the orchestrator. */
export type WorkerMessage =
  | { type: 'ready'; port?: number }
  | { type: 'progress'; records: number; bytes: number }
  | { type: 'done'; result: WorkerResult }
  | { type: 'skipped'; reason: string }
  | { type: 'failed'; error: string };

/** Messages from the orchestrator to a worker. */
export type ParentMessage = { type: 'run'; job: WorkerJob } | { type: 'exit' };
