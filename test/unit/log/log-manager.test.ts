import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuplicateLogDirError, InvalidPartitionNameError } from '../../../src/log/errors.js';
import { defaultLogConfig, resolveLogConfig } from '../../../src/log/log-config.js';
import { LogManager, parsePartitionDirName, partitionDirName } from '../../../src/log/log-manager.js';
import { makeBatch, tempDir } from './helpers.js';

let root: string;
let cleanup: () => Promise<void>;
let dirs: string[];

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  dirs = [join(root, 'a'), join(root, 'b'), join(root, 'c')];
});
afterEach(async () => {
  await cleanup();
});

describe('partition directory names', () => {
  it('split on the last dash', () => {
    expect(parsePartitionDirName('orders-0')).toEqual({ topic: 'orders', partition: 0 });
    expect(parsePartitionDirName('my-topic.v2-17')).toEqual({ topic: 'my-topic.v2', partition: 17 });
    expect(parsePartitionDirName('a--3')).toEqual({ topic: 'a-', partition: 3 });
    expect(parsePartitionDirName('orders-0.abc123-delete')).toBeNull();
    expect(parsePartitionDirName('orders-01')).toBeNull();
    expect(parsePartitionDirName('orders')).toBeNull();
    expect(parsePartitionDirName('-1')).toBeNull();
    expect(partitionDirName('my-topic.v2', 17)).toBe('my-topic.v2-17');
    expect(() => partitionDirName('../x', 0)).toThrow(InvalidPartitionNameError);
    expect(() => partitionDirName('x', -1)).toThrow(InvalidPartitionNameError);
  });
});

describe('LogManager', () => {
  it('creates partitions in the least loaded dir and finds them again on open', async () => {
    const mgr = new LogManager({ logDirs: dirs, defaultConfig: defaultLogConfig });
    await mgr.open();
    const logs = await Promise.all(Array.from({ length: 6 }, (_, p) => mgr.getOrCreate('my-topic.v2', p)));
    const perDir = dirs.map((d) => mgr.all().filter((e) => e.logDir === d).length);
    expect(perDir).toEqual([2, 2, 2]);
    expect(await mgr.getOrCreate('my-topic.v2', 0)).toBe(logs[0]);
    await logs[3]?.append(makeBatch({ records: 4 }));
    await mgr.close();

    await mkdir(join(dirs[0] as string, 'junk-dir-x'));
    await writeFile(join(dirs[0] as string, 'meta.properties'), 'x');
    const again = new LogManager({ logDirs: dirs, defaultConfig: defaultLogConfig });
    await again.open();
    expect(again.all().map((e) => `${e.topic}/${e.partition}`).sort()).toEqual(
      [0, 1, 2, 3, 4, 5].map((p) => `my-topic.v2/${p}`),
    );
    expect(again.get('my-topic.v2', 3)?.logEndOffset).toBe(4);
    expect(again.get('my-topic.v2', 9)).toBeUndefined();
    await again.close();
  });

  it('shares one pending open between concurrent getOrCreate calls and applies topic config', async () => {
    const mgr = new LogManager({ logDirs: dirs.slice(0, 1), defaultConfig: defaultLogConfig });
    await mgr.open();
    const [a, b] = await Promise.all([mgr.getOrCreate('t', 0, { segmentBytes: 4096 }), mgr.getOrCreate('t', 0)]);
    expect(a).toBe(b);
    expect(a.config.segmentBytes).toBe(4096);
    await mgr.getOrCreate('t', 0, { segmentBytes: 8192 });
    expect(a.config.segmentBytes).toBe(8192);
    await expect(mgr.getOrCreate('t', 1, { segmentBytes: 1 })).rejects.toMatchObject({ code: 'KRILL_LOG_INVALID_CONFIG' });
    await mgr.close();
  });

  it('deletes a partition log and its directory', async () => {
    const mgr = new LogManager({ logDirs: dirs.slice(0, 1), defaultConfig: defaultLogConfig });
    await mgr.open();
    const log = await mgr.getOrCreate('gone', 2);
    await log.append(makeBatch());
    expect(await mgr.delete('gone', 2)).toBe(true);
    expect(await mgr.delete('gone', 2)).toBe(false);
    expect(mgr.get('gone', 2)).toBeUndefined();
    expect(await readdir(dirs[0] as string)).not.toContain('gone-2');
    await mgr.close();
  });

  it('skips excluded directories', async () => {
    await mkdir(join(dirs[0] as string, '__cluster_metadata-0'), { recursive: true });
    const mgr = new LogManager({ logDirs: dirs.slice(0, 1), defaultConfig: defaultLogConfig, exclude: (n) => n === '__cluster_metadata-0' });
    await mgr.open();
    expect(mgr.all()).toEqual([]);
    await mgr.close();
  });

  it('refuses a partition present in two log dirs', async () => {
    await mkdir(join(dirs[0] as string, 't-0'), { recursive: true });
    await mkdir(join(dirs[1] as string, 't-0'), { recursive: true });
    const mgr = new LogManager({ logDirs: dirs, defaultConfig: defaultLogConfig });
    await expect(mgr.open()).rejects.toBeInstanceOf(DuplicateLogDirError);
  });

  it('flushes logs whose flush.ms elapsed', async () => {
    let now = 1_000;
    const mgr = new LogManager({
      logDirs: dirs.slice(0, 1),
      defaultConfig: resolveLogConfig({ flushIntervalMs: 500 }),
      now: () => now,
    });
    await mgr.open();
    const a = await mgr.getOrCreate('t', 0);
    const b = await mgr.getOrCreate('t', 1);
    await a.append(makeBatch());
    expect(await mgr.flushDue()).toBe(0);
    now += 600;
    expect(await mgr.flushDue()).toBe(1);
    expect(a.unflushedMessages).toBe(0);
    expect(b.fsyncCount).toBe(0);
    await mgr.close();
  });
});
