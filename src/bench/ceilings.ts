/**
 * The machine's own limits, measured in the same run as the broker:
 *
 * - disk: a write + fdatasync loop appending to a fresh file in the
 *   filesystem that holds the broker's logs, for each chunk size (the
 *   amount written between syncs). The largest rate is the ceiling for
 *   acks=all with fsync-before-ack.
 * - loopback: bytes per second from one Node.js process to another over
 *   127.0.0.1 TCP, with one and with several connections. The larger is the
 *   ceiling for produce with acks=1 and for consume.
 * - round trip: small messages echoed between two Node processes at a fixed
 *   rate; not a throughput ceiling but the latency floor (and noise) that
 *   end-to-end latency figures sit on.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fillValue } from './batches.js';
import { mbPerSec } from './stats.js';
import { Histogram } from './histogram.js';
import type { WorkerPool, LoadWorker, JobOutcome } from './workers.js';
import type { WorkerJob } from './types.js';

export interface DiskSample {
  chunkBytes: number;
  mbPerSec: number;
  syncsPerSec: number;
  /** Mean time of one write + fdatasync, ms. */
  syncMs: number;
}

export function measureDisk(dir: string, chunkBytes: number, durationMs: number): DiskSample {
  const file = join(dir, `krill-bench-disk-${process.pid}-${chunkBytes}.tmp`);
  const chunk = fillValue(chunkBytes, 7, false);
  const fd = openSync(file, 'w');
  let bytes = 0;
  let syncs = 0;
  const t0 = performance.now();
  let elapsed = 0;
  try {
    do {
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      fdatasyncSync(fd);
      bytes += chunk.length;
      syncs++;
      elapsed = performance.now() - t0;
    } while (elapsed < durationMs);
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  return { chunkBytes, mbPerSec: mbPerSec(bytes, elapsed), syncsPerSec: syncs / (elapsed / 1000), syncMs: elapsed / syncs };
}

export interface LoopbackSample {
  connections: number;
  chunkBytes: number;
  mbPerSec: number;
}

export async function measureLoopback(pool: WorkerPool, connections: number, durationMs: number, chunkBytes = 256 * 1024): Promise<LoopbackSample> {
  const [sink, source] = await pool.take(2);
  const warmupMs = Math.min(500, durationMs / 2);
  const startMs = Date.now() + 300 + warmupMs;
  const endMs = startMs + durationMs;
  const { port, done: sinkDone } = await listening(sink, { kind: 'sink', measureStartMs: startMs, measureEndMs: endMs });
  const sourceDone = source.run({ kind: 'source', target: { host: '127.0.0.1', port }, connections, chunkBytes, stopAtMs: endMs + 200 });
  const [s] = await Promise.all([sinkDone, sourceDone]);
  if (s.status !== 'done') throw new Error('loopback sink did not finish');
  return { connections, chunkBytes, mbPerSec: mbPerSec(s.result.bytes, s.result.elapsedMs) };
}

/** Runs a job that reports a port once it listens; resolves with the port and the job's outcome. */
async function listening(worker: LoadWorker, job: WorkerJob): Promise<{ port: number; done: Promise<JobOutcome> }> {
  let resolvePort: (port: number) => void = () => undefined;
  const ready = new Promise<number>((resolve) => (resolvePort = resolve));
  const done = worker.run(job, { onReady: (p) => resolvePort(p) });
  const failed = done.then((): never => {
    throw new Error(`${job.kind} ended before listening`);
  });
  return { port: await Promise.race([ready, failed]), done };
}

export interface RttSample {
  perSec: number;
  messageBytes: number;
  rtt: Histogram;
}

export async function measureRtt(pool: WorkerPool, perSec: number, messageBytes: number, durationMs: number): Promise<RttSample> {
  const [echo, ping] = await pool.take(2);
  const startMs = Date.now() + 300 + Math.min(500, durationMs / 2);
  const endMs = startMs + durationMs;
  const { port, done } = await listening(echo, { kind: 'echo', stopAtMs: endMs + 1000 });
  const pinged = await ping.run({ kind: 'ping', target: { host: '127.0.0.1', port }, messageBytes, perSec, measureStartMs: startMs, measureEndMs: endMs });
  await done;
  if (pinged.status !== 'done' || !pinged.result.latency) throw new Error('ping did not finish');
  return { perSec, messageBytes, rtt: Histogram.from(pinged.result.latency) };
}
