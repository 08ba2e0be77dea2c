/**
 * Loopback TCP ceiling: a sink process accepts connections and counts bytes,
 * a source process writes large chunks as fast as the socket takes them.
 * Both are plain Node.js, as the broker and its clients are, so the figure
 * is what two Node processes can move over 127.0.0.1 on this machine.
 */
import { connect, createServer, type Socket } from 'node:net';
import type { SinkJob, SourceJob, WorkerResult } from './types.js';
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
