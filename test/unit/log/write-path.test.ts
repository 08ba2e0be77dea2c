/**
 * The append write path: index entries of the active segment stay in memory
 * until it is sealed (and are rebuilt by recovery after an unclean stop),
 * appends borrow the .log descriptor from the shared handle cache, and a
 * LogManager's flushes go through its broker-wide LogFlusher (log-flusher.test.ts).
 */
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HandleCache } from '../../../src/log/handle-cache.js';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { batchesIn, makeBatch, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const seg = (base: number, ext: string): string => join(dir, `${String(base).padStart(20, '0')}.${ext}`);
const fileSize = async (path: string): Promise<number> => (await stat(path)).size;

describe('in-memory index entries', () => {
  it('serve reads before they reach the index files, and an unclean stop rebuilds them', async () => {
    const config = resolveLogConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 128 });
    const handles = new HandleCache(4);
    const log = await PartitionLog.open(dir, config, undefined, { handles });
    for (let i = 0; i < 60; i++) await log.append(makeBatch({ records: 2, maxTimestamp: 1000 + 10 * i, fill: i }));
    // Nothing written to the index files of the active segment yet.
    expect(await fileSize(seg(0, 'index'))).toBe(0);
    expect(await fileSize(seg(0, 'timeindex'))).toBe(0);
    for (const offset of [0, 1, 37, 64, 119]) {
      const first = batchesIn((await log.read(offset, 1)).records)[0];
      expect(first?.baseOffset).toBe(offset - (offset % 2));
    }
    expect(await log.offsetForTimestamp(1305)).toEqual({ offset: 62, timestamp: 1310 });
    // Only one descriptor for the active segment, from the cache.
    expect(handles.size).toBe(1);

    // Unclean stop: the first instance is abandoned without closing (no marker, no index files).
    await log.flush();
    const again = await PartitionLog.open(dir, config);
    try {
      expect(again.logEndOffset).toBe(120);
      expect(await fileSize(seg(0, 'index'))).toBeGreaterThan(0);
      for (const offset of [0, 37, 119]) {
        expect(batchesIn((await again.read(offset, 1)).records)[0]?.baseOffset).toBe(offset - (offset % 2));
      }
      expect(await again.offsetForTimestamp(1305)).toEqual({ offset: 62, timestamp: 1310 });
      expect((await again.append(makeBatch({ records: 1 }))).baseOffset).toBe(120);
    } finally {
      await again.close();
      await handles.closeAll();
    }
  });

  it('writes the index files whole when the segment rolls or the log closes', async () => {
    const config = resolveLogConfig({ segmentBytes: 2048, indexIntervalBytes: 128 });
    const log = await PartitionLog.open(dir, config);
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 1, maxTimestamp: 1000 + i }));
    const [first, second] = log.segmentBaseOffsets();
    expect(second).toBeDefined();
    expect(await fileSize(seg(first as number, 'index'))).toBeGreaterThan(0);
    expect(await fileSize(seg(first as number, 'timeindex'))).toBeGreaterThan(0);
    const active = log.segmentBaseOffsets().at(-1) as number;
    await log.close();
    expect(await fileSize(seg(active, 'timeindex'))).toBeGreaterThan(0);
    const again = await PartitionLog.open(dir, config);
    expect(again.logEndOffset).toBe(40);
    expect(batchesIn((await again.read(39, 1)).records)[0]?.baseOffset).toBe(39);
    await again.close();
  });
});

describe('HandleCache write handles', () => {
  it('upgrades a read-only handle to read-write, never creates files, and stays bounded', async () => {
    const cache = new HandleCache(2);
    const paths = Array.from({ length: 5 }, (_, i) => join(dir, `f${i}`));
    for (const p of paths) await writeFile(p, 'abc');
    const first = paths[0] as string;
    await cache.use(first, async (fh) => fh.stat());
    await cache.use(first, async (fh) => void (await fh.write(Buffer.from('x'), 0, 1, 3)), true);
    expect(cache.openedCount).toBe(2);
    expect(cache.size).toBe(1);
    // A read reuses the read-write handle.
    await cache.use(first, async (fh) => fh.stat());
    expect(cache.openedCount).toBe(2);
    expect(await fileSize(first)).toBe(4);
    for (const p of paths) await cache.use(p, async (fh) => fh.datasync(), true);
    expect(cache.size).toBeLessThanOrEqual(2);
    await expect(cache.use(join(dir, 'missing'), async () => undefined, true)).rejects.toMatchObject({ code: 'ENOENT' });
    await cache.closeAll();
  });
});

describe('LogFlusher', () => {
  it('serves the flushes of a LogManager’s logs', async () => {
    const mgr = new LogManager({ logDirs: [dir], defaultConfig: resolveLogConfig({}) });
    await mgr.open();
    const logs = await Promise.all(Array.from({ length: 4 }, (_, p) => mgr.getOrCreate('t', p)));
    await Promise.all(logs.map(async (log) => {
      await log.append(makeBatch());
      await log.flush();
    }));
    expect(mgr.flusher.syncs).toBe(4);
    expect(mgr.flusher.requests).toBe(4);
    for (const log of logs) expect(log.recoveryPoint).toBe(1);
    await mgr.close();
  });
});
