/**
 * Retention and cleaning through the LogManager: time and size retention
 * delete whole segments (renamed to `.deleted`, removed after
 * file.delete.delay.ms), the log start offset advances and survives a
 * restart, the high watermark bounds deletion; cleanDue compacts and
 * checkpoints.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLEANER_CHECKPOINT_FILE, readCleanerCheckpoint } from '../../../src/log/cleaner-checkpoint.js';
import { OffsetOutOfRangeError } from '../../../src/log/errors.js';
import { type LogConfig, resolveLogConfig } from '../../../src/log/log-config.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { makeBatch, tempDir } from './helpers.js';
import { keyedBatch, readRecords } from './keyed.js';

let root: string;
let cleanup: () => Promise<void>;
let managers: LogManager[] = [];
let clock = 0;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
  clock = 100_000;
});
afterEach(async () => {
  for (const m of managers) await m.close().catch(() => undefined);
  managers = [];
  await cleanup();
});

const base = resolveLogConfig({ segmentBytes: 1000, indexIntervalBytes: 200, fileDeleteDelayMs: 5000 });

async function manager(config: LogConfig = base): Promise<LogManager> {
  const m = new LogManager({ logDirs: [root], defaultConfig: config, now: () => clock });
  await m.open();
  managers.push(m);
  return m;
}

/** 10 batches of 100 bytes per segment: segment i holds timestamps ts(i). */
async function fillSegments(m: LogManager, segments: number, ts: (segment: number) => number): Promise<void> {
  const log = await m.getOrCreate('t', 0);
  for (let s = 0; s < segments; s++) {
    for (let b = 0; b < 10; b++) await log.append(makeBatch({ records: 2, payloadBytes: 39, maxTimestamp: ts(s) }));
  }
}

const files = async (suffix: string) => (await readdir(join(root, 't-0'))).filter((f) => f.endsWith(suffix)).sort();

describe('retention', () => {
  it('deletes segments whose newest record is older than retention.ms, then their files after the delay', async () => {
    const m = await manager(resolveLogConfig({ retentionMs: 50_000 }, base));
    await fillSegments(m, 5, (s) => [10_000, 20_000, 60_000, 90_000, 95_000][s] as number);
    const log = m.get('t', 0)!;
    const segs = log.segmentBaseOffsets();
    expect(segs).toEqual([0, 20, 40, 60, 80]);
    const round = await m.cleanupDue(clock);
    expect(round).toEqual({ logs: 1, segmentsDeleted: 2 });
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(2));
    expect(log.logStartOffset).toBe(segs[2]);
    await expect(log.read(segs[1] as number, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(await files('.deleted')).toHaveLength(6);
    expect(await m.deleteDue(clock + 4999)).toBe(0);
    expect(await m.deleteDue(clock + 5000)).toBe(6);
    expect(await files('.deleted')).toHaveLength(0);
    // The new log start survives a restart.
    await m.close();
    const again = await manager();
    expect(again.get('t', 0)?.logStartOffset).toBe(segs[2]);
  });

  it('deletes the oldest segments while the log is larger than retention.bytes', async () => {
    const m = await manager(resolveLogConfig({ retentionBytes: 2500 }, base));
    await fillSegments(m, 5, () => clock);
    const log = m.get('t', 0)!;
    const sizes = log.segmentList().map((s) => s.size);
    const segs = log.segmentBaseOffsets();
    await m.cleanupDue(clock);
    // Kafka's rule: delete while size - segment size >= retention.bytes.
    let size = sizes.reduce((a, b) => a + b, 0);
    let n = 0;
    while (size - (sizes[n] as number) >= 2500) size -= sizes[n++] as number;
    expect(n).toBeGreaterThan(0);
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(n));
    expect(log.size).toBeGreaterThanOrEqual(2500);
  });

  it('stays below the high watermark and ignores retention for cleanup.policy=compact', async () => {
    const m = await manager(resolveLogConfig({ retentionMs: 1 }, base));
    await fillSegments(m, 4, () => 1000);
    const log = m.get('t', 0)!;
    const segs = log.segmentBaseOffsets();
    await m.cleanupDue(clock, () => (segs[1] as number) + 3);
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(1));
    log.updateConfig(resolveLogConfig({ retentionMs: 1, cleanupPolicy: { delete: false, compact: true } }, base));
    expect(await m.cleanupDue(clock)).toEqual({ logs: 0, segmentsDeleted: 0 });
    // Undefined high watermark: the partition is skipped.
    log.updateConfig(resolveLogConfig({ retentionMs: 1 }, base));
    expect(await m.cleanupDue(clock, () => undefined)).toEqual({ logs: 0, segmentsDeleted: 0 });
    // All expired: even the active segment goes, and the log continues at its end.
    const end = log.logEndOffset;
    await m.cleanupDue(clock);
    expect(log.logStartOffset).toBe(end);
    expect(log.segmentBaseOffsets()).toEqual([end]);
    expect((await log.append(makeBatch())).baseOffset).toBe(end);
  });

  it('DeleteRecords defers file removal too', async () => {
    const m = await manager();
    await fillSegments(m, 3, () => clock);
    const log = m.get('t', 0)!;
    const segs = log.segmentBaseOffsets();
    await log.deleteRecordsBefore((segs[1] as number) + 1);
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(1));
    expect(await files('.deleted')).toHaveLength(3);
    await m.deleteDue(clock + 5000);
    expect(await files('.deleted')).toHaveLength(0);
  });
});

describe('LogManager.cleanDue', () => {
  it('compacts logs with cleanup.policy=compact and checkpoints how far it got', async () => {
    const config = resolveLogConfig({ cleanupPolicy: { delete: false, compact: true }, minCleanableDirtyRatio: 0.1 }, base);
    const m = await manager(config);
    const log = await m.getOrCreate('t', 0);
    await m.getOrCreate('plain', 0, { cleanupPolicy: { delete: true, compact: false } });
    for (let i = 0; i < 60; i++) await log.append(keyedBatch([{ key: `k${i % 4}`, value: `v${i}-${'x'.repeat(60)}` }]));
    const stats = await m.cleanDue(clock);
    expect(stats).toHaveLength(1);
    const active = log.segmentBaseOffsets().at(-1) as number;
    expect(stats[0]?.endOffset).toBe(active);
    expect(await readCleanerCheckpoint(join(root, 't-0'))).toBe(active);
    const kept = (await readRecords(log)).filter((r) => r.offset < active);
    expect(kept.map((r) => r.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3']);
    // Nothing new: the next round does nothing, also after a restart (the checkpoint is read back).
    expect(await m.cleanDue(clock)).toEqual([]);
    await m.close();
    const again = await manager(config);
    expect(await again.cleanDue(clock)).toEqual([]);
    expect((await readdir(join(root, 't-0'))).includes(CLEANER_CHECKPOINT_FILE)).toBe(true);
  });
});
