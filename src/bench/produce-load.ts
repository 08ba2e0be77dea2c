/**
 * Worker-side producers.
 *
 * Full-speed producer: every connection keeps `depth` Produce requests in
 * flight. Each in-flight slot owns a copy of a prebuilt frame (request
 * header, one batch per partition of its group); resending only rewrites
 * the correlation id, and a slot's buffer is reused only after its
 * response came back, so the socket never sends a half-patched frame.
 *
 * Fixed-rate producer: wakes about every millisecond, sends the records
 * that are due as one batch to the next partition, stamping the send time
 * into each record (TimestampedBatch) on a copy of a cached frame.
 */
import { decodeProduceResponse, type ProduceResponse } from '../protocol/generated/produce-response.js';
import { PRODUCE_VERSION } from './admin.js';
import { buildStaticBatch, epochMicros, TimestampedBatch } from './batches.js';
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

interface RateTemplate {
  frame: Buffer;
  batchAt: number;
  partitionAt: number;
  stamper: TimestampedBatch;
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

function rateTemplate(topic: string, acks: number, recordBytes: number, records: number): RateTemplate {
  const stamper = TimestampedBatch.build(recordBytes, records);
  const frame = produceFrame(topic, acks, [{ partition: 0, batch: stamper.bytes }]);
  // Flexible Produce: ... index int32, records as compact bytes, then three empty tag sections.
  const batchAt = frame.length - 3 - stamper.bytes.length;
  const partitionAt = batchAt - uvarintSize(stamper.bytes.length + 1) - 4;
  if (!frame.subarray(batchAt, batchAt + 61).equals(stamper.bytes.subarray(0, 61)) || frame.readInt32BE(partitionAt) !== 0) {
    throw new Error('unexpected Produce frame layout');
  }
  return { frame, batchAt, partitionAt, stamper };
}

export async function runRateProduce(job: RateProduceJob, progress: ProgressSink): Promise<WorkerResult> {
  const conn = await WireConnection.open(job.target.host, job.target.port);
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const latency = new Histogram();
  // At most 20 ms of records in one batch, so a stall does not build one giant batch.
  const maxBatch = Math.max(1, Math.ceil(job.recordsPerSec / 50));
  const templates = new Map<number, RateTemplate>();
  const template = (n: number): RateTemplate => {
    let t = templates.get(n);
    if (!t) {
      t = rateTemplate(job.topic, job.acks, job.recordBytes, n);
      templates.set(n, t);
    }
    return t;
  };
  let failed = false;
  conn.onFailure((err) => {
    meter.error(err.message);
    failed = true;
  });
  const startMs = Date.now();
  let due = 0;
  let sent = 0;
  let sentInWindow = 0;
  let next = 0;
  let maxInFlight = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = Date.now();
      if (failed || now >= job.measureEndMs) {
        const wait = (): void => {
          if (conn.inFlight === 0 || failed) resolve();
          else setTimeout(wait, 5);
        };
        return wait();
      }
      due = Math.floor(((now - startMs) * job.recordsPerSec) / 1000);
      while (sent < due) {
        const n = Math.min(maxBatch, due - sent);
        const t = template(n);
        const frame = Buffer.from(t.frame);
        frame.writeInt32BE(job.partitions[next++ % job.partitions.length], t.partitionAt);
        const nowUs = epochMicros();
        t.stamper.stamp(frame, t.batchAt, nowUs);
        if (nowUs / 1000 >= job.measureStartMs && nowUs / 1000 < job.measureEndMs) sentInWindow += n;
        const sentAt = performance.now();
        conn.send(frame, (res) => {
          const err = produceError(decodeProduce(res));
          if (err.code !== 0) meter.error(`produce error ${err.code}${err.message ? `: ${err.message}` : ''}`);
          else if (meter.add(Date.now(), n, t.stamper.bytes.length)) latency.record((performance.now() - sentAt) * 1000);
        });
        sent += n;
        maxInFlight = Math.max(maxInFlight, conn.inFlight);
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  conn.close();
  return meter.result({ latency: latency.toJSON(), extra: { sentRecords: sent, sentInWindow, maxInFlight } });
}
