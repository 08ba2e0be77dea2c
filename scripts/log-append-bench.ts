/**
 * Storage append micro-benchmark (not a test): a LogManager with P
 * partitions, each fed by C concurrent appenders of B-byte batches, for a
 * fixed number of appends. With --fsync every append is followed by
 * log.flush() (the acks=all + krill.fsync.before.ack path). Prints MB/s and
 * process CPU (user+system, thread pool included) per append.
 *
 *   npx tsx scripts/log-append-bench.ts [--fsync] [--partitions 8] [--batch 65536] [--appends 4000] [--concurrency 4]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveLogConfig } from '../src/log/log-config.js';
import { LogManager } from '../src/log/log-manager.js';
import { fillerBatch } from '../test/helpers/filler-batch.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function batch(size: number, ts: number): Buffer {
  return fillerBatch(size, ts, { fill: { byte: 7 } });
}

const fsync = process.argv.includes('--fsync');
const partitions = arg('partitions', 8);
const batchBytes = arg('batch', 64 * 1024);
const total = arg('appends', 4000);
const concurrency = arg('concurrency', 4);

const root = await mkdtemp(join(tmpdir(), 'krill-append-bench-'));
const mgr = new LogManager({ logDirs: [root], defaultConfig: resolveLogConfig({ segmentBytes: 256 * 1024 * 1024 }) });
await mgr.open();
const logs = await Promise.all(Array.from({ length: partitions }, (_, p) => mgr.getOrCreate('bench', p)));
const template = batch(batchBytes, Date.now());
let started = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
async function appender(p: number): Promise<void> {
  const log = logs[p % partitions];
  if (log === undefined) throw new Error('no log');
  while (started < total) {
    started++;
    await log.append(Buffer.from(template));
    if (fsync) await log.flush();
  }
}
await Promise.all(Array.from({ length: partitions * concurrency }, (_, i) => appender(i)));
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
const fsyncs = logs.reduce((n, l) => n + l.fsyncCount, 0);
const mb = (total * batchBytes) / 1e6;
console.log(
  `${fsync ? 'fsync' : 'no-fsync'} partitions=${partitions} batch=${batchBytes} appends=${total}: ` +
    `${(mb / (ms / 1000)).toFixed(0)} MB/s, ${((cpu.user + cpu.system) / total).toFixed(1)} µs CPU/append ` +
    `(user ${(cpu.user / total).toFixed(1)}, sys ${(cpu.system / total).toFixed(1)}), ${fsyncs} fsyncs, ${ms.toFixed(0)} ms`,
);
await mgr.close();
await rm(root, { recursive: true, force: true });
