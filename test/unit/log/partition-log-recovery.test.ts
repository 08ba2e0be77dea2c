import { appendFile, open, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OffsetOutOfRangeError } from '../../../src/log/errors.js';
import { HandleCache } from '../../../src/log/handle-cache.js';
import { type LogConfig, resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { batchesIn, makeBatch, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
const opened: PartitionLog[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  await cleanup();
});

const small: LogConfig = resolveLogConfig({ segmentBytes: 1024, indexIntervalBytes: 128 });
const MARKER = '.kafka_cleanshutdown';
const seg = (base: number, ext: string): string => join(dir, `${String(base).padStart(20, '0')}.${ext}`);

function captureLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function openLog(config: LogConfig = small, logger?: pino.Logger, handles?: HandleCache): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, config, logger, handles === undefined ? {} : { handles });
  opened.push(log);
  return log;
}

async function fill(log: PartitionLog, count: number, records = 3): Promise<void> {
  for (let i = 0; i < count; i++) await log.append(makeBatch({ records, maxTimestamp: 1000 + i, fill: i & 0xff }));
}

/** Reads the whole log batch by batch: [baseOffset, lastOffset] pairs. */
async function readAll(log: PartitionLog): Promise<Array<[number, number]>> {
  const out: Array<[number, number]> = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const batches = batchesIn((await log.read(offset, 1 << 20)).records);
    if (batches.length === 0) break;
    for (const b of batches) out.push([b.baseOffset, b.lastOffset]);
    offset = (batches.at(-1)?.lastOffset ?? offset) + 1;
  }
  return out;
}

/** Closes cleanly, then removes the marker: the next open behaves as after a crash. */
async function crash(log: PartitionLog): Promise<void> {
  await log.close();
  opened.splice(opened.indexOf(log), 1);
  await rm(join(dir, MARKER));
}

describe('PartitionLog reopen', () => {
  it('reopens after a clean close with the same state and continues', async () => {
    const log = await openLog();
    await fill(log, 25, 2);
    const before = await readAll(log);
    const segments = log.segmentBaseOffsets();
    await log.close();
    opened.pop();
    expect(await readdir(dir)).toContain(MARKER);
    const { logger, lines } = captureLogger();
    const again = await openLog(small, logger);
    expect(await readdir(dir)).not.toContain(MARKER);
    expect(again.logEndOffset).toBe(50);
    expect(again.segmentBaseOffsets()).toEqual(segments);
    expect(await readAll(again)).toEqual(before);
    expect(lines.some((l) => l.msg === 'recovery truncated the log at a bad batch')).toBe(false);
    expect((await again.append(makeBatch({ records: 2 }))).baseOffset).toBe(50);
    expect(await again.maxTimestampAndOffset()).toEqual({ timestamp: 1024, offset: 49 });
  });

  it('persists the log start offset', async () => {
    const log = await openLog();
    await fill(log, 25, 2);
    await log.deleteRecordsBefore(21);
    await log.close();
    opened.pop();
    const again = await openLog();
    expect(again.logStartOffset).toBe(21);
    await expect(again.read(19, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    expect(batchesIn((await again.read(21, 100)).records)[0]?.baseOffset).toBe(20);
  });
});

describe('PartitionLog recovery', () => {
  it('truncates a torn last batch and continues with the right offsets', async () => {
    const log = await openLog();
    await fill(log, 12, 3);
    const last = log.segmentBaseOffsets().at(-1) as number;
    await crash(log);
    // A torn write: the first 70 bytes of a batch.
    await appendFile(seg(last, 'log'), makeBatch({ records: 3 }).subarray(0, 70));
    const { logger, lines } = captureLogger();
    const again = await openLog(small, logger);
    expect(again.logEndOffset).toBe(36);
    const warn = lines.find((l) => l.msg === 'recovery truncated the log at a bad batch');
    expect(warn).toMatchObject({ problem: 'truncated', truncatedBytes: 70 });
    expect((await again.append(makeBatch({ records: 2 }))).baseOffset).toBe(36);
    expect((await readAll(again)).at(-1)).toEqual([36, 37]);
  });

  it('truncates at a batch cut short mid-file', async () => {
    const log = await openLog(resolveLogConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 128 }));
    await fill(log, 10, 1);
    await crash(log);
    await truncate(seg(0, 'log'), 101 * 7 + 30);
    const again = await openLog(resolveLogConfig({ segmentBytes: 1 << 20, indexIntervalBytes: 128 }));
    expect(again.logEndOffset).toBe(7);
    expect(await readAll(again)).toEqual([0, 1, 2, 3, 4, 5, 6].map((o) => [o, o]));
    expect((await again.append(makeBatch())).baseOffset).toBe(7);
  });

  it('truncates at a batch with a bad CRC', async () => {
    const log = await openLog(resolveLogConfig({ segmentBytes: 1 << 20 }));
    await fill(log, 10, 1);
    await crash(log);
    const fh = await open(seg(0, 'log'), 'r+');
    await fh.write(Buffer.from([0x00]), 0, 1, 101 * 4 + 80); // a payload byte of batch 4
    await fh.close();
    const { logger, lines } = captureLogger();
    const again = await openLog(resolveLogConfig({ segmentBytes: 1 << 20 }), logger);
    expect(again.logEndOffset).toBe(4);
    expect(lines.find((l) => l.msg === 'recovery truncated the log at a bad batch')).toMatchObject({ problem: 'bad-crc', position: 404 });
  });

  it('drops garbage appended after the last batch', async () => {
    const log = await openLog();
    await fill(log, 4, 1);
    await crash(log);
    await appendFile(seg(0, 'log'), Buffer.alloc(33, 0));
    const again = await openLog();
    expect(again.logEndOffset).toBe(4);
    expect(again.size).toBe(404);
  });

  it('recovers from the recovery point onward and deletes segments after a bad one', async () => {
    const log = await openLog();
    await fill(log, 30, 1);
    const segs = log.segmentBaseOffsets();
    expect(segs.length).toBeGreaterThanOrEqual(3);
    await crash(log);
    // Rolls checkpoint a recovery point at the last segment; rewind it so
    // recovery starts at the first segment and reaches the corrupted second.
    await writeFile(join(dir, 'partition.checkpoint'), '0\n0\n0\n');
    const mid = segs[1] as number;
    const fh = await open(seg(mid, 'log'), 'r+');
    await fh.write(Buffer.from([0x7f]), 0, 1, 101 + 16); // magic of the second batch
    await fh.close();
    const again = await openLog();
    expect(again.segmentBaseOffsets()).toEqual([0, mid]);
    expect(again.logEndOffset).toBe(mid + 1);
    expect((await again.append(makeBatch())).baseOffset).toBe(mid + 1);
  });

  it('after a crash only recovers segments from the checkpointed recovery point', async () => {
    const log = await openLog();
    await fill(log, 30, 1);
    const segs = log.segmentBaseOffsets();
    await crash(log);
    const { logger, lines } = captureLogger();
    const again = await openLog(small, logger);
    const recovered = lines.filter((l) => l.msg === 'recovering segment').map((l) => l.segment);
    expect(recovered).toEqual([seg(segs.at(-1) as number, 'log')]);
    expect(again.logEndOffset).toBe(30);
  });

  it('rebuilds lost or damaged index files identical to the originals', async () => {
    const log = await openLog();
    await fill(log, 40, 2);
    const segs = log.segmentBaseOffsets();
    await log.close();
    opened.pop();
    const first = segs[0] as number;
    const active = segs.at(-1) as number;
    const originalIndex = await readFile(seg(first, 'index'));
    const originalTime = await readFile(seg(first, 'timeindex'));
    expect(originalIndex.length).toBeGreaterThan(0);
    await rm(seg(first, 'index'));
    await rm(seg(active, 'timeindex'));
    await writeFile(seg(segs[1] as number, 'index'), Buffer.alloc(5)); // not a multiple of 8
    const again = await openLog();
    expect(await readFile(seg(first, 'index'))).toEqual(originalIndex);
    expect(await readFile(seg(first, 'timeindex'))).toEqual(originalTime);
    expect(await readAll(again)).toEqual(Array.from({ length: 40 }, (_, i) => [i * 2, i * 2 + 1]));
    expect((await readFile(seg(segs[1] as number, 'index'))).length % 8).toBe(0);
    expect(await again.offsetForTimestamp(1039)).toEqual({ offset: 78, timestamp: 1039 });
  });

  it('recovers the tail even when a marker claims a clean shutdown', async () => {
    const log = await openLog();
    await fill(log, 3, 1);
    await log.close();
    opened.pop();
    await appendFile(seg(0, 'log'), makeBatch().subarray(0, 20));
    const again = await openLog();
    expect(again.logEndOffset).toBe(3);
    expect((await again.append(makeBatch())).baseOffset).toBe(3);
  });
});

describe('PartitionLog truncateTo and deleteRecordsBefore', () => {
  it('truncates inside a segment and at a segment boundary', async () => {
    const log = await openLog();
    await fill(log, 30, 2);
    const segs = log.segmentBaseOffsets();
    await log.truncateTo(41);
    // The batch holding 41 (40..41) goes whole; the log end is the target, as in Kafka.
    expect(log.logEndOffset).toBe(41);
    expect((await readAll(log)).at(-1)).toEqual([38, 39]);
    expect((await log.append(makeBatch({ records: 2 }))).baseOffset).toBe(41);
    const boundary = segs[2] as number;
    await log.truncateTo(boundary);
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(0, 3));
    expect(log.logEndOffset).toBe(boundary);
    expect(log.size).toBe((boundary / 2) * 101);
    expect((await log.append(makeBatch({ records: 2 }))).baseOffset).toBe(boundary);
    await log.close();
    opened.pop();
    const again = await openLog();
    expect(again.logEndOffset).toBe(boundary + 2);
    expect((await readAll(again)).length).toBe(boundary / 2 + 1);
  });

  it('empties the log and restarts at an offset below the log start', async () => {
    const log = await openLog();
    await fill(log, 10, 2);
    await log.deleteRecordsBefore(8);
    await log.truncateTo(5);
    expect(log.logStartOffset).toBe(5);
    expect(log.logEndOffset).toBe(5);
    expect(log.segmentBaseOffsets()).toEqual([5]);
    expect((await log.append(makeBatch())).baseOffset).toBe(5);
  });

  it('orders truncation with queued appends', async () => {
    const log = await openLog();
    await fill(log, 5, 2);
    const a = log.append(makeBatch({ records: 2 })); // 10..11
    const t = log.truncateTo(4);
    const b = log.append(makeBatch({ records: 3 })); // 4..6
    expect((await a).baseOffset).toBe(10);
    await t;
    expect((await b).baseOffset).toBe(4);
    expect(await readAll(log)).toEqual([
      [0, 1],
      [2, 3],
      [4, 6],
    ]);
  });

  it('deletes whole segments below the new log start, including the active one', async () => {
    const log = await openLog();
    await fill(log, 30, 2);
    const segs = log.segmentBaseOffsets();
    const third = segs[2] as number;
    await log.deleteRecordsBefore(third + 1);
    expect(log.logStartOffset).toBe(third + 1);
    expect(log.segmentBaseOffsets()).toEqual(segs.slice(2));
    await expect(log.read(third, 10)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.deleteRecordsBefore(61)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await log.deleteRecordsBefore(60);
    expect(log.segmentBaseOffsets()).toEqual([60]);
    expect(log.size).toBe(0);
    expect((await log.read(60, 10)).records.length).toBe(0);
    expect((await log.append(makeBatch())).baseOffset).toBe(60);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.log'));
    expect(files).toEqual(['00000000000000000060.log']);
  });

  it('deleteLog removes the directory', async () => {
    const log = await openLog();
    await fill(log, 3);
    await log.deleteLog();
    opened.pop();
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('PartitionLog concurrent reads', () => {
  it('reads racing deleteRecordsBefore either succeed or report out of range, and resurrect no files', async () => {
    const log = await openLog();
    await fill(log, 60, 1);
    await log.close();
    opened.pop();
    const again = await openLog(); // old segments now load lazily
    const segs = again.segmentBaseOffsets();
    const cut = segs[segs.length - 2] as number;
    const reads = Array.from({ length: 60 }, (_, o) => again.read(o, 200).then(
      (r) => batchesIn(r.records)[0]?.baseOffset,
      (err: unknown) => (err instanceof OffsetOutOfRangeError ? 'oor' : Promise.reject(err)),
    ));
    const del = again.deleteRecordsBefore(cut);
    const results = await Promise.all(reads);
    await del;
    results.forEach((r, o) => {
      if (o < cut) expect(r === 'oor' || r === o).toBe(true);
      else expect(r).toBe(o);
    });
    const files = (await readdir(dir)).filter((f) => /\.(log|index|timeindex)$/.test(f));
    const bases = [...new Set(files.map((f) => Number(f.slice(0, 20))))].sort((a, b) => a - b);
    expect(bases).toEqual(segs.slice(-2));
  });
});

describe('PartitionLog file handles', () => {
  it('keeps only a bounded number of read handles for old segments', async () => {
    const handles = new HandleCache(2);
    const log = await openLog(small, undefined, handles);
    await fill(log, 60, 1);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(5);
    await log.close();
    opened.pop();
    const again = await openLog(small, undefined, handles);
    expect(await readAll(again)).toHaveLength(60);
    expect(handles.size).toBeLessThanOrEqual(2);
    expect(handles.openedCount).toBeGreaterThan(5);
  });
});
