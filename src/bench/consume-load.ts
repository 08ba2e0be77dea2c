/**
 * Worker-side consumers.
 *
 * Throughput consumer: reads each partition from offset 0 to a known end
 * offset. Every connection keeps up to `depth` Fetch requests in flight,
 * each for a different partition (a partition never has two fetches out),
 * so the broker always has work queued. Batches are counted from their
 * headers without decoding records: this measures the broker, and the
 * kafkajs scenario shows what a full client gets.
 *
 * Latency consumer: one long-poll fetch at a time over all its partitions,
 * as a client consumer does; every record's value starts with its creation
 * time (float64 epoch microseconds), so delivery latency is now minus that.
 * After the window it keeps reading until the producer's backlog has
 * drained (nothing new for idleStopMs), so slow deliveries still count.
 */
import { decodeFetchResponse, type FetchResponse } from '../protocol/generated/fetch-response.js';
import { batchPositions, BATCH_HEADER_SIZE } from '../protocol/record-batch.js';
import { decodeBatchSync } from '../protocol/records.js';
import { FETCH_VERSION, fetchBody, fetchError } from './admin.js';
import { epochMicros, STAMP_BYTES } from './batches.js';
import { Histogram } from './histogram.js';
import { roundRobin } from './produce-load.js';
import type { ConsumeJob, LatencyConsumeJob, WorkerResult } from './types.js';
import { WireConnection } from './wire.js';
import { WindowMeter, type ProgressSink } from './window-meter.js';

function decodeFetch(frame: Buffer): FetchResponse {
  return decodeFetchResponse(WireConnection.responseBody(1, FETCH_VERSION, frame), FETCH_VERSION);
}

interface Walked {
  records: number;
  bytes: number;
  /** Offset after the last whole batch, or -1 when there was none. */
  nextOffset: number;
}

/** Counts the whole batches of a record set from their headers. */
function walkBatches(records: Buffer | null): Walked {
  const out: Walked = { records: 0, bytes: 0, nextOffset: -1 };
  if (records === null) return out;
  for (const [pos, size] of batchPositions(records)) {
    out.records += records.readInt32BE(pos + 57);
    out.bytes += size;
    out.nextOffset = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23) + 1;
  }
  return out;
}

interface PartitionCursor {
  partition: number;
  offset: number;
  end: number;
  busy: boolean;
}

export async function runConsume(job: ConsumeJob, progress: ProgressSink): Promise<WorkerResult> {
  const groups = roundRobin(job.partitions, job.connections);
  const conns = await Promise.all(groups.map(() => WireConnection.open(job.target.host, job.target.port)));
  const meter = new WindowMeter(Date.now(), Infinity, progress);
  let fetches = 0;
  let emptyFetches = 0;
  await Promise.all(
    conns.map(
      (conn, ci) =>
        new Promise<void>((resolve) => {
          const cursors: PartitionCursor[] = groups[ci].map((p) => ({ partition: p.partition, offset: 0, end: p.endOffset, busy: false }));
          let rr = 0;
          let failed = false;
          conn.onFailure((err) => {
            meter.error(err.message);
            failed = true;
            resolve();
          });
          const finished = (): boolean => cursors.every((c) => c.offset >= c.end);
          const pick = (): PartitionCursor | null => {
            for (let i = 0; i < cursors.length; i++) {
              const c = cursors[(rr + i) % cursors.length];
              if (!c.busy && c.offset < c.end) {
                rr = (rr + i + 1) % cursors.length;
                return c;
              }
            }
            return null;
          };
          const fill = (): void => {
            while (!failed && conn.inFlight < job.depth) {
              const c = pick();
              if (!c) break;
              c.busy = true;
              fetches++;
              const frame = WireConnection.frame(1, FETCH_VERSION, fetchBody(job.topic, [{ partition: c.partition, offset: c.offset, maxBytes: job.partitionMaxBytes }], 500, 1));
              conn.send(frame, (res) => {
                c.busy = false;
                const decoded = decodeFetch(res);
                const err = fetchError(decoded);
                if (err !== 0) {
                  meter.error(`fetch error ${err} on partition ${c.partition}`);
                  failed = meter.errors > 100;
                } else {
                  const walked = walkBatches(decoded.responses[0]?.partitions[0]?.records ?? null);
                  if (walked.nextOffset < 0) emptyFetches++;
                  else {
                    c.offset = walked.nextOffset;
                    meter.add(Date.now(), walked.records, walked.bytes);
                  }
                }
                if (finished() || failed) {
                  if (conn.inFlight === 0) resolve();
                } else fill();
              });
            }
            if (finished() && conn.inFlight === 0) resolve();
          };
          fill();
        }),
    ),
  );
  meter.close();
  for (const c of conns) c.close();
  return meter.result({ extra: { fetches, emptyFetches } });
}

export async function runLatencyConsume(job: LatencyConsumeJob, progress: ProgressSink): Promise<WorkerResult> {
  const conn = await WireConnection.open(job.target.host, job.target.port);
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const latency = new Histogram();
  const offsets = new Map(job.partitions.map((p) => [p, 0]));
  let deliveredInWindow = 0;
  const broken = new Promise<null>((resolve) =>
    conn.onFailure((err) => {
      meter.error(err.message);
      resolve(null);
    }),
  );
  let lastDelivery = Date.now();
  for (;;) {
    const now = Date.now();
    if (now >= job.stopAtMs || (now >= job.measureEndMs && now - lastDelivery >= job.idleStopMs)) break;
    const wants = job.partitions.map((p) => ({ partition: p, offset: offsets.get(p) ?? 0, maxBytes: 8 << 20 }));
    const answered = new Promise<FetchResponse>((resolve) =>
      conn.send(WireConnection.frame(1, FETCH_VERSION, fetchBody(job.topic, wants, 200, 1)), (f) => resolve(decodeFetch(f))),
    );
    const res = await Promise.race([answered, broken]);
    if (res === null) break;
    const nowUs = epochMicros();
    const err = fetchError(res);
    if (err !== 0) {
      meter.error(`fetch error ${err}`);
      continue;
    }
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.records === null || p.records.length < BATCH_HEADER_SIZE) continue;
        for (const [pos, size] of batchPositions(p.records)) {
          const batch = decodeBatchSync(p.records.subarray(pos, pos + size), { verifyCrc: false });
          lastDelivery = Date.now();
          for (const r of batch.records) {
            if (r.value === null || r.value.length < STAMP_BYTES) continue;
            const sentUs = r.value.readDoubleBE(0);
            const sentMs = sentUs / 1000;
            if (sentMs >= job.measureStartMs && sentMs < job.measureEndMs) {
              latency.record(nowUs - sentUs);
              deliveredInWindow++;
              meter.add(sentMs, 1, r.value.length);
            }
          }
          offsets.set(p.partitionIndex, Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1);
        }
      }
    }
  }
  conn.close();
  return meter.result({ latency: latency.toJSON(), extra: { deliveredInWindow } });
}
