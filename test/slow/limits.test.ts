/**
 * Storage limits (npm run test:crash):
 * - 1,000 partitions open in one LogManager with a handle cache of 64:
 *   appends and reads across all of them, handles stay bounded, a restart
 *   reopens them all (10,000 partitions: limits-10k-partitions.test.ts);
 * - a 1 GiB log (one Kafka-default 1 GiB segment of 16 KiB batches) after an
 *   unclean stop with the recovery point at 0, so every batch is CRC-checked
 *   and both indexes rebuilt: recovery time with the page cache dropped
 *   (when the machine allows it), then a clean start for comparison.
 */
import { execSync } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLogConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { fillerBatch } from '../helpers/filler-batch.js';

const GIB = 1024 ** 3;

/** A v2 batch of `size` bytes (10 records' worth of filler) with a valid CRC. */
function batch(size: number, ts: number, seed: number): Buffer {
  return fillerBatch(size, ts, { records: 10, fill: { seed } });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

function dropPageCache(): boolean {
  try {
    execSync('sync && echo 3 > /proc/sys/vm/drop_caches', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('storage limits', () => {
  it('1,000 partitions with a read-handle cache of 64', async () => {
    const root = await mkdtemp(join(tmpdir(), 'krill-many-'));
    const config = resolveLogConfig({ segmentBytes: 4096 });
    try {
      const fdsBefore = openFds();
      let mgr = new LogManager({ logDirs: [join(root, 'a'), join(root, 'b')], defaultConfig: config, maxOpenReadHandles: 64, openConcurrency: 16 });
      await mgr.open();
      const logs = await Promise.all(Array.from({ length: 1000 }, (_, p) => mgr.getOrCreate('many', p)));
      for (const [p, log] of logs.entries()) {
        for (let i = 0; i < 3; i++) await log.append(batch(1500, 1000 + i, p));
      }
      // Read the first (sealed) segment of every partition: handles come from the bounded cache.
      for (const log of logs) expect((await log.read(0, 100)).records.length).toBe(1500);
      expect(mgr.handleCache.size).toBeLessThanOrEqual(64);
      const fds = openFds() - fdsBefore;
      console.log(`1000 partitions: ${fds} file descriptors open (at most the 64 cached handles: segments keep none of their own)`);
      expect(fds).toBeLessThanOrEqual(64 + 20);
      await mgr.close();
      mgr = new LogManager({ logDirs: [join(root, 'a'), join(root, 'b')], defaultConfig: config, maxOpenReadHandles: 64 });
      const t0 = performance.now();
      await mgr.open();
      console.log(`reopened 1000 partitions (clean) in ${Math.round(performance.now() - t0)} ms`);
      expect(mgr.all()).toHaveLength(1000);
      expect(mgr.get('many', 999)?.logEndOffset).toBe(30);
      await mgr.close();
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('recovers a 1 GiB log from a cold, unclean start in bounded time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krill-1gib-'));
    try {
      const config = resolveLogConfig({ segmentBytes: GIB });
      let log = await PartitionLog.open(dir, config);
      const BATCH = 16 * 1024;
      const PER_APPEND = 64;
      const chunk = Buffer.concat(Array.from({ length: PER_APPEND }, (_, i) => batch(BATCH, 5000 + i, i)));
      const appends = Math.floor((GIB - BATCH) / chunk.length);
      const tw = performance.now();
      for (let i = 0; i < appends; i++) await log.append(Buffer.from(chunk));
      await log.flush();
      const writeMs = performance.now() - tw;
      const bytes = log.size;
      const end = log.logEndOffset;
      await log.close();
      // Unclean stop with nothing known durable: recover every byte.
      rmSync(join(dir, '.kafka_cleanshutdown'));
      writeFileSync(join(dir, 'partition.checkpoint'), '0\n0\n0\n');
      const cold = dropPageCache();
      const t0 = performance.now();
      log = await PartitionLog.open(dir, config);
      const recoverMs = performance.now() - t0;
      expect(log.logEndOffset).toBe(end);
      expect(log.size).toBe(bytes);
      await log.close();
      if (cold) dropPageCache();
      const t1 = performance.now();
      log = await PartitionLog.open(dir, config);
      const cleanMs = performance.now() - t1;
      await log.close();
      const mib = bytes / 2 ** 20;
      console.log(
        `1 GiB log (${Math.round(mib)} MiB, ${end / 10} batches of 16 KiB): written in ${Math.round(writeMs)} ms; ` +
          `unclean ${cold ? 'cold-cache' : 'warm-cache'} recovery ${Math.round(recoverMs)} ms (${Math.round(mib / (recoverMs / 1000))} MiB/s); ` +
          `clean start ${Math.round(cleanMs)} ms`,
      );
      expect(recoverMs).toBeLessThan(180_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
