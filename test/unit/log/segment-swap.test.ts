/**
 * Crash safety of the cleaner's segment swap: every intermediate state a
 * crash can leave on disk reopens as either the old segment set or the new
 * one, never a mix, and no `.cleaned` or `.swap` file survives the reopen.
 */
import { cp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanLog } from '../../../src/log/cleaner.js';
import { segmentPath } from '../../../src/log/file-io.js';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { cleanedLogPath, commitSwap } from '../../../src/log/segment-swap.js';
import { tempDir } from './helpers.js';
import { keyedBatch, type ReadRecord, readRecords } from './keyed.js';

let root: string;
let cleanup: () => Promise<void>;

beforeEach(async () => {
  ({ dir: root, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const small = resolveLogConfig({ segmentBytes: 600, indexIntervalBytes: 100, cleanupPolicy: { delete: false, compact: true }, minCleanableDirtyRatio: 0 });
const merging = resolveLogConfig({ segmentBytes: 64 * 1024 }, small);

interface Fixture {
  /** The partition dir before cleaning (closed cleanly). */
  readonly before: string;
  readonly recordsBefore: ReadRecord[];
  readonly recordsAfter: ReadRecord[];
  /** Bytes of the cleaned `<base 0>.log` that replaced the first segments. */
  readonly cleaned: Buffer;
  /** Base offsets replaced by it (0 first) and the first kept one. */
  readonly replaced: number[];
  readonly endOffset: number;
}

async function fixture(): Promise<Fixture> {
  const live = join(root, 'live');
  let log = await PartitionLog.open(live, small);
  for (let i = 0; i < 40; i++) {
    await log.append(keyedBatch([{ key: `k${i % 5}`, value: `v${i}-${'x'.repeat(40)}` }, { key: `u${i}`, value: 'once' }]));
  }
  const recordsBefore = await readRecords(log);
  const segs = log.segmentBaseOffsets();
  await log.close();
  const before = join(root, 'before');
  await cp(live, before, { recursive: true });
  log = await PartitionLog.open(live, merging);
  const outcome = await cleanLog(log, { nowMs: 5000, highWatermark: log.logEndOffset, checkpoint: null, maxMapEntries: 1000 });
  expect(outcome.kind).toBe('cleaned');
  expect(log.segmentBaseOffsets()).toEqual([0, segs.at(-1)]);
  const recordsAfter = await readRecords(log);
  await log.close();
  const cleaned = await readFile(segmentPath(live, 0, 'log'));
  return { before, recordsBefore, recordsAfter, cleaned, replaced: segs.slice(0, -1), endOffset: segs.at(-1) as number };
}

/** A copy of the pre-cleaning dir in the state a crash left, reopened without the clean-shutdown marker. */
async function crashState(f: Fixture, name: string, damage: (dir: string) => Promise<void>): Promise<{ records: ReadRecord[]; files: string[] }> {
  const dir = join(root, name);
  await cp(f.before, dir, { recursive: true });
  await rm(join(dir, '.kafka_cleanshutdown'), { force: true });
  await damage(dir);
  const log = await PartitionLog.open(dir, small);
  const records = await readRecords(log);
  const files = await readdir(dir);
  // Still appendable at the right offset.
  const res = await log.append(keyedBatch([{ key: 'after', value: 'crash' }]));
  expect(res.baseOffset).toBe(f.recordsBefore.length);
  await log.close();
  return { records, files };
}

describe('segment swap crash safety', () => {
  it('rolls back before the commit and finishes after it, at every step', async () => {
    const f = await fixture();
    expect(f.recordsAfter.length).toBeLessThan(f.recordsBefore.length);
    expect(f.replaced.length).toBeGreaterThan(2);
    const swap = { baseOffset: 0, endOffset: f.endOffset };
    const writeCleaned = (dir: string) => writeFile(cleanedLogPath(dir, 0), f.cleaned);
    const states: Array<[string, 'old' | 'new', (dir: string) => Promise<void>]> = [
      ['cleaned file half written', 'old', (d) => writeFile(cleanedLogPath(d, 0), f.cleaned.subarray(0, f.cleaned.length >> 1))],
      ['cleaned file complete, not committed', 'old', writeCleaned],
      ['committed', 'new', async (d) => {
        await writeCleaned(d);
        await commitSwap(d, swap);
      }],
      ['committed, old indexes of the first segment removed', 'new', async (d) => {
        await writeCleaned(d);
        await commitSwap(d, swap);
        await rm(segmentPath(d, 0, 'index'));
        await rm(segmentPath(d, 0, 'timeindex'));
      }],
      ['committed, cleaned file renamed into place', 'new', async (d) => {
        await writeCleaned(d);
        await commitSwap(d, swap);
        await rm(segmentPath(d, 0, 'index'));
        await rm(segmentPath(d, 0, 'timeindex'));
        await rename(cleanedLogPath(d, 0), segmentPath(d, 0, 'log'));
      }],
      ['committed, replaced segments partly gone', 'new', async (d) => {
        await writeCleaned(d);
        await commitSwap(d, swap);
        await rm(segmentPath(d, 0, 'index'));
        await rm(segmentPath(d, 0, 'timeindex'));
        await rename(cleanedLogPath(d, 0), segmentPath(d, 0, 'log'));
        await rename(segmentPath(d, f.replaced[1] as number, 'log'), `${segmentPath(d, f.replaced[1] as number, 'log')}.deleted`);
        await rm(segmentPath(d, f.replaced[2] as number, 'log'));
      }],
    ];
    for (const [name, expected, damage] of states) {
      const got = await crashState(f, name.replace(/\W+/g, '-'), damage);
      expect(got.records, name).toEqual(expected === 'old' ? f.recordsBefore : f.recordsAfter);
      expect(got.files.filter((n) => n.endsWith('.cleaned') || n.endsWith('.swap') || n.endsWith('.deleted')), name).toEqual([]);
      if (expected === 'new') {
        const logs = got.files.filter((n) => n.endsWith('.log')).sort();
        expect(logs, name).toEqual([segmentPath('', 0, 'log'), segmentPath('', f.endOffset, 'log')].map((p) => p.replace(/^\/?/, '')));
      }
    }
  });

  it('an unreadable swap record fails the open instead of guessing', async () => {
    const f = await fixture();
    const dir = join(root, 'bad');
    await cp(f.before, dir, { recursive: true });
    await writeFile(join(dir, '00000000000000000000.swap'), 'garbage');
    await expect(PartitionLog.open(dir, small)).rejects.toThrow(/swap record/);
  });
});
