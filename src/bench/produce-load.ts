/**
 * Worker-side producers.
 *
 * Full-speed producer: every connection keeps `depth` Produce requests in
 * flight. Each in-flight slot owns a copy of a prebuilt frame (request
 * header, one batch per partition of its group); resending only rewrites
 * the correlation id, and a slot's buffer is reused only after its
 * response came back, so the socket never sends a half-patched frame.
 *
 * Fixed-rate producer: see runRateProduce.
 */
import { decodeProduceResponse, type ProduceResponse } from '../protocol/generated/produce-response.js';
import { PRODUCE_VERSION } from './admin.js';
import { buildStaticBatch, epochMicros, StampedBatch } from './batches.js';
import { Histogram } from './histogram.js';
import type { ProduceJob, RateProduceJob, WorkerResult } from './types.js';
import { WireConnection } from './wire.js';
import { WindowMeter, type ProgressSink } from './window-meter.js';

function produceFrame(topic: string, acks: number, parts: Array<{ partition: number; batch: Buffer }>): Buffer {
  return WireConnection.frame(0, PRODUCE_VERSION, {
    transactionalId: null,
    acks,
    timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: parts.map((p) => ({ index: p.partition, records: p.batch })) }],
  });
}

/** The first error code in a produce response, or 0. */
function produceError(res: ProduceResponse): { code: number; message: string | null } {
  for (const t of res.responses) {
    for (const p of t.partitionResponses) if (p.errorCode !== 0) return { code: p.errorCode, message: p.errorMessage };
  }
  return { code: 0, message: null };
}

function decodeProduce(frame: Buffer): ProduceResponse {
  return decodeProduceResponse(WireConnection.responseBody(0, PRODUCE_VERSION, frame), PRODUCE_VERSION);
}

/** Splits items into n groups round-robin (no empty groups when items >= n). */
export function roundRobin<T>(items: readonly T[], n: number): T[][] {
  const groups: T[][] = Array.from({ length: Math.max(1, n) }, () => []);
  items.forEach((x, i) => groups[i % groups.length].push(x));
  return groups.filter((g) => g.length > 0);
}

export async function runProduce(job: ProduceJob, progress: ProgressSink): Promise<WorkerResult> {
  if (job.acks !== 1 && job.acks !== -1) throw new Error(`acks=${job.acks} is not supported by the load generator (1 or -1)`);
  const batch = buildStaticBatch({ recordBytes: job.shape.recordBytes, records: job.shape.recordsPerBatch, compression: job.shape.compression, compressible: job.shape.compressible });
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const latency = new Histogram();
  const partsPerConn = roundRobin(job.partitions, job.connections);
  const conns = await Promise.all(partsPerConn.map(() => WireConnection.open(job.target.host, job.target.port)));
  let stopping = false;
  let acked = 0;
  const shouldStop = (): boolean =>
    stopping || Date.now() >= job.measureEndMs || (job.stopAfterRecords !== undefined && acked >= job.stopAfterRecords);

  const runs = conns.map(
    (conn, ci) =>
      new Promise<void>((resolve) => {
        const groups = chunk(partsPerConn[ci], Math.max(1, job.partitionsPerRequest));
        const template = groups.map((g) => produceFrame(job.topic, job.acks, g.map((partition) => ({ partition, batch }))));
        const slots = Array.from({ length: job.depth }, (_, s) => {
          const g = s % groups.length;
          return { frame: Buffer.from(template[g]), records: groups[g].length * job.shape.recordsPerBatch, bytes: groups[g].length * batch.length, sentAt: 0 };
        });
        conn.onFailure((err) => {
          meter.error(err.message);
          stopping = true;
          resolve();
        });
        const sendSlot = (slot: (typeof slots)[number]): void => {
          slot.sentAt = performance.now();
          conn.send(slot.frame, (res) => {
            const now = Date.now();
            const err = produceError(decodeProduce(res));
            if (err.code !== 0) {
              meter.error(`produce error ${err.code}${err.message ? `: ${err.message}` : ''}`);
              if (meter.errors > 100) stopping = true;
            } else {
              acked += slot.records;
              if (meter.add(now, slot.records, slot.bytes)) latency.record((performance.now() - slot.sentAt) * 1000);
            }
            if (!shouldStop()) sendSlot(slot);
            else if (conn.inFlight === 0) resolve();
          });
        };
        for (const slot of slots) sendSlot(slot);
      }),
  );
  await Promise.all(runs);
  for (const c of conns) c.close();
  return meter.result({ latency: latency.toJSON(), extra: { ackedRecords: acked, batchBytes: batch.length } });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Bytes of an unsigned varint. */
function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function writeUvarint(buf: Buffer, pos: number, v: number): number {
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

/** Trailing bytes of a one-partition flexible Produce request after the records: three empty tag sections. */
const PRODUCE_TAIL = 3;

/**
 * A one-partition Produce frame cut around its records: the prefix (size,
 * header, topic, partition index) is copied as is, then the records length
 * and a batch from the StampedBatch, then the tail.
 */
class RateFrames {
  private readonly prefix: Buffer;
  private readonly partitionAt: number;

  constructor(
    topic: string,
    acks: number,
    readonly batch: StampedBatch,
  ) {
    const frame = produceFrame(topic, acks, [{ partition: 0, batch: batch.template }]);
    const batchAt = frame.length - PRODUCE_TAIL - batch.template.length;
    this.partitionAt = batchAt - uvarintSize(batch.template.length + 1) - 4;
    if (!frame.subarray(batchAt, batchAt + 61).equals(batch.template.subarray(0, 61)) || frame.readInt32BE(this.partitionAt) !== 0) {
      throw new Error('unexpected Produce frame layout');
    }
    this.prefix = Buffer.from(frame.subarray(0, this.partitionAt + 4));
  }

  /** A frame carrying the first n records, stamped from firstUs every stepUs. */
  build(partition: number, n: number, firstUs: number, stepUs: number): Buffer {
    const size = this.batch.sizeOf(n);
    const out = Buffer.allocUnsafe(this.prefix.length + uvarintSize(size + 1) + size + PRODUCE_TAIL);
    this.prefix.copy(out, 0);
    out.writeInt32BE(partition, this.partitionAt);
    const at = writeUvarint(out, this.prefix.length, size + 1);
    this.batch.writePrefix(out, at, n, firstUs, stepUs);
    out.fill(0, at + size);
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }
}

/** Kafka producers' default max.in.flight.requests.per.connection. */
const MAX_IN_FLIGHT = 5;
/**
 * Largest batch (a producer's batch.size): 512 KiB, half of Kafka's default
 * max.message.bytes. With Kafka's default 16 KiB a single-partition
 * producer at 50,000 records/s of 1 KiB needs over 3,000 requests/s on one
 * connection.
 */
const MAX_BATCH_BYTES = 512 * 1024;

/**
 * Behaves like a Kafka producer with linger about 1 ms: records are created
 * on schedule (record i at start + i / rate), wait in the accumulator while
 * MAX_IN_FLIGHT requests are out, and go out together in the next batch, to
 * the partitions in turn. Each record carries its scheduled creation time,
 * so time spent waiting in the producer counts in the end-to-end latency
 * (no coordinated omission).
 */
export async function runRateProduce(job: RateProduceJob, progress: ProgressSink): Promise<WorkerResult> {
  const conn = await WireConnection.open(job.target.host, job.target.port);
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const latency = new Histogram();
  const maxBatch = Math.max(1, Math.floor(MAX_BATCH_BYTES / (job.recordBytes + 8)));
  const frames = new RateFrames(job.topic, job.acks, StampedBatch.build(job.recordBytes, maxBatch));
  let failed = false;
  conn.onFailure((err) => {
    meter.error(err.message);
    failed = true;
  });
  const stepUs = 1e6 / job.recordsPerSec;
  const startUs = epochMicros();
  const startMs = startUs / 1000;
  let created = 0;
  let sent = 0;
  let sentInWindow = 0;
  let next = 0;
  let maxQueued = 0;
  const send = (): void => {
    while (!failed && sent < created && conn.inFlight < MAX_IN_FLIGHT) {
      const n = Math.min(maxBatch, created - sent);
      const firstUs = startUs + sent * stepUs;
      const frame = frames.build(job.partitions[next++ % job.partitions.length], n, firstUs, stepUs);
      for (let k = 0; k < n; k++) {
        const ms = (firstUs + k * stepUs) / 1000;
        if (ms >= job.measureStartMs && ms < job.measureEndMs) sentInWindow++;
      }
      const sentAt = performance.now();
      const bytes = frames.batch.sizeOf(n);
      conn.send(frame, (res) => {
        const err = produceError(decodeProduce(res));
        if (err.code !== 0) meter.error(`produce error ${err.code}${err.message ? `: ${err.message}` : ''}`);
        else if (meter.add(Date.now(), n, bytes)) latency.record((performance.now() - sentAt) * 1000);
        send();
      });
      sent += n;
    }
  };
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const nowMs = Date.now();
      if (failed || nowMs >= job.measureEndMs) {
        const drain = (): void => {
          if (failed || (sent >= created && conn.inFlight === 0)) resolve();
          else setTimeout(drain, 5);
        };
        return drain();
      }
      created = Math.floor((epochMicros() / 1000 - startMs) * (job.recordsPerSec / 1000));
      send();
      maxQueued = Math.max(maxQueued, created - sent);
      setTimeout(tick, 1);
    };
    tick();
  });
  conn.close();
  return meter.result({ latency: latency.toJSON(), extra: { createdRecords: created, sentInWindow, maxQueuedRecords: maxQueued } });
}
