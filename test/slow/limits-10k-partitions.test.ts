/**
 * Storage limits (npm run test:crash), issue #3: 10,000 partitions in one
 * LogManager (the log layer alone, no broker) stay well under the
 * descriptor limit. No segment keeps descriptors of its own: appends,
 * fsyncs and reads borrow `.log` handles from the shared, bounded handle
 * cache, and index files are opened only while being written. Appends to
 * every partition, an fsync of every partition, reads back, a clean close
 * and a reopen; the open descriptor count (/proc/self/fd) is sampled
 * throughout. Prints the time each phase took.
 */
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveLogConfig } from '../../src/log/log-config.js';
import { LogManager } from '../../src/log/log-manager.js';
import type { PartitionLog } from '../../src/log/partition-log.js';
import { BATCH_HEADER_SIZE } from '../../src/protocol/record-batch.js';
import { fillerBatch } from '../helpers/filler-batch.js';

const PARTITIONS = 10_000;
const CACHE = 1000;
const CHUNK = 500;
/** Descriptors beyond the baseline: the cache bound, handles borrowed by one chunk in flight, and slack. */
const FD_BOUND = CACHE + CHUNK + 100;

function batch(ts: number, seed: number): Buffer {
  return fillerBatch(BATCH_HEADER_SIZE + 200, ts, { fill: { byte: seed } });
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function inChunks<T>(items: readonly T[], fn: (item: T, i: number) => Promise<void>, sample: () => void): Promise<void> {
  for (let at = 0; at < items.length; at += CHUNK) {
    await Promise.all(items.slice(at, at + CHUNK).map((item, j) => fn(item, at + j)));
    sample();
  }
}

describe('storage limits: descriptors', () => {
  it('10,000 partitions stay under a descriptor bound', async () => {
    const root = await mkdtemp(join(tmpdir(), 'krill-10k-'));
    const logDirs = [join(root, 'a'), join(root, 'b')];
    const config = resolveLogConfig({ segmentBytes: 64 * 1024 });
    const base = openFds();
    let peak = 0;
    const sample = (): void => {
      peak = Math.max(peak, openFds() - base);
    };
    const phase = async (name: string, fn: () => Promise<void>): Promise<void> => {
      const t0 = performance.now();
      await fn();
      console.log(`10k partitions: ${name} in ${Math.round(performance.now() - t0)} ms (peak ${peak} descriptors over baseline)`);
    };
    try {
      let mgr = new LogManager({ logDirs, defaultConfig: config, maxOpenReadHandles: CACHE, openConcurrency: 16 });
      await mgr.open();
      const ids = Array.from({ length: PARTITIONS }, (_, p) => p);
      const logs: PartitionLog[] = [];
      await phase('create', () =>
        inChunks(ids, async (p) => {
          logs[p] = await mgr.getOrCreate('many', p);
        }, sample),
      );
      await phase('append 3 batches each', () =>
        inChunks(logs, async (log, p) => {
          for (let i = 0; i < 3; i++) await log.append(batch(1000 + i, p));
        }, sample),
      );
      await phase('fsync each (LogFlusher)', () => inChunks(logs, (log) => log.flush(), sample));
      await phase('read back', () =>
        inChunks(logs, async (log, p) => {
          const { records } = await log.read(0, 1 << 20);
          expect(records.length).toBe(3 * batch(0, p).length);
          expect(records.subarray(BATCH_HEADER_SIZE, BATCH_HEADER_SIZE + 1)[0]).toBe(p & 0xff);
        }, sample),
      );
      expect(mgr.handleCache.size).toBeLessThanOrEqual(CACHE);
      await phase('close', () => mgr.close());
      sample();
      mgr = new LogManager({ logDirs, defaultConfig: config, maxOpenReadHandles: CACHE, openConcurrency: 16 });
      await phase('reopen (clean)', () => mgr.open());
      sample();
      expect(mgr.all()).toHaveLength(PARTITIONS);
      expect(mgr.get('many', PARTITIONS - 1)?.logEndOffset).toBe(3);
      await phase('append after reopen', () =>
        inChunks(ids, async (p) => {
          await mgr.get('many', p)?.append(batch(2000, p));
        }, sample),
      );
      await mgr.close();
      console.log(`10k partitions: peak ${peak} descriptors over baseline (bound ${FD_BOUND}; before: 3 per active segment, ${3 * PARTITIONS})`);
      expect(peak).toBeLessThanOrEqual(FD_BOUND);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
