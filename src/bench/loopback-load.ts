/**
 * Loopback TCP ceiling: a sink process accepts connections and counts bytes,
 * a source process writes large chunks as fast as the socket takes them.
 * Both are plain Node.js, as the broker and its clients are, so the figure
 * is what two Node processes can move over 127.0.0.1 on this machine.
 *
 * Round-trip floor: an echo process and a pinging process exchanging small
 * messages at a fixed rate, timed as the latency scenarios are (a timer
 * tick, a socket write, the other process's event loop, back). On a shared
 * machine its p99 shows how much of a latency tail is scheduling noise
 * rather than the broker.
 */
import { connect, createServer, type Socket } from 'node:net';
import { Histogram } from './histogram.js';
import type { EchoJob, PingJob, SinkJob, SourceJob, WorkerResult } from './types.js';
import { WindowMeter, type ProgressSink } from './window-meter.js';

export async function runSink(job: SinkJob, progress: ProgressSink, ready: (port: number) => void): Promise<WorkerResult> {
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => meter.add(Date.now(), 0, d.length));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('sink has no port');
  ready(address.port);
  await new Promise((r) => setTimeout(r, Math.max(0, job.measureEndMs - Date.now())));
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return meter.result();
}

export async function runSource(job: SourceJob, progress: ProgressSink): Promise<WorkerResult> {
  const chunk = Buffer.alloc(job.chunkBytes, 0x5a);
  const meter = new WindowMeter(Date.now(), job.stopAtMs, progress);
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const s = connect({ host: job.target.host, port: job.target.port });
      s.setNoDelay(true);
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      const pump = (): void => {
        while (Date.now() < job.stopAtMs) {
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      s.on('connect', pump);
    });
  await Promise.all(Array.from({ length: job.connections }, one));
  return meter.result();
}

/** Listens on port 0 and writes back whatever arrives, until stopAtMs. */
export async function runEcho(job: EchoJob, ready: (port: number) => void): Promise<WorkerResult> {
  const sockets = new Set<Socket>();
  let bytes = 0;
  const server = createServer((s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('data', (d: Buffer) => {
      bytes += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('echo server has no port');
  ready(address.port);
  await new Promise((r) => setTimeout(r, Math.max(0, job.stopAtMs - Date.now())));
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { records: 0, bytes, elapsedMs: 0, errors: 0, cpuMs: 0 };
}

/** Sends messageBytes messages at perSec (about one timer tick apart) and times their echoes. */
export async function runPing(job: PingJob, progress: ProgressSink): Promise<WorkerResult> {
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const rtt = new Histogram();
  const s = connect({ host: job.target.host, port: job.target.port });
  s.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    s.once('connect', resolve);
    s.once('error', reject);
  });
  const size = job.messageBytes;
  let pending: Buffer = Buffer.alloc(0);
  s.on('data', (d: Buffer) => {
    pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
    while (pending.length >= size) {
      const sentAt = pending.readDoubleBE(0);
      pending = pending.subarray(size);
      const now = Date.now();
      if (meter.add(now, 1, size)) rtt.record((performance.now() - sentAt) * 1000);
    }
  });
  const startMs = Date.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (Date.now() >= job.measureEndMs) return resolve();
      const due = Math.floor(((Date.now() - startMs) * job.perSec) / 1000);
      while (sent < due) {
        const m = Buffer.alloc(size);
        m.writeDoubleBE(performance.now(), 0);
        s.write(m);
        sent++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  await new Promise((r) => setTimeout(r, 100));
  s.destroy();
  return meter.result({ latency: rtt.toJSON() });
}
