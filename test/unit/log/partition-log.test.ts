import { readdir, stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { InvalidBatchError, LogClosedError, LogFailedError, OffsetOutOfRangeError, RecordBatchTooLargeError } from '../../../src/log/errors.js';
import { type LogConfig, resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { checkBatch } from '../../../src/protocol/record-batch.js';
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

async function openLog(config: LogConfig = small, now?: () => number): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, config, undefined, now === undefined ? {} : { now });
  opened.push(log);
  return log;
}

/** Appends `count` batches of `records` records each, one append per batch. */
async function fill(log: PartitionLog, count: number, records = 3, ts = (i: number) => 1000 + i): Promise<void> {
  for (let i = 0; i < count; i++) await log.append(makeBatch({ records, maxTimestamp: ts(i), fill: i & 0xff }));
}

describe('PartitionLog append and read', () => {
  it('assigns offsets from the log end and rolls segments by size', async () => {
    const log = await openLog();
    const first = await log.append(makeBatch({ records: 3 }));
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2, logStartOffset: 0 });
    await fill(log, 59, 3);
    expect(log.logEndOffset).toBe(180);
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(5);
    expect(log.size).toBe(60 * 101);
    const files = await readdir(dir);
    expect(files).toContain('00000000000000000000.log');
    expect(files).toContain('00000000000000000000.index');
    expect(files).toContain('00000000000000000000.timeindex');
    for (const base of log.segmentBaseOffsets()) {
      const s = await stat(`${dir}/${String(base).padStart(20, '0')}.log`);
      expect(s.size).toBeLessThanOrEqual(1024);
    }
  });

  it('reads from any offset: the first returned batch holds it', async () => {
    const log = await openLog();
    await fill(log, 40, 5);
    for (let offset = 0; offset < 200; offset++) {
      const { records } = await log.read(offset, 300);
      const batches = batchesIn(records);
      expect(batches.length).toBeGreaterThan(0);
      const head = batches[0];
      expect(head?.baseOffset).toBeLessThanOrEqual(offset);
      expect(head?.lastOffset).toBeGreaterThanOrEqual(offset);
      let pos = 0;
      for (const b of batches) {
        expect(checkBatch(records, pos)).toBeNull();
        pos += b.size;
      }
    }
    const end = await log.read(200, 1000);
    expect(end.records.length).toBe(0);
    expect(end.logEndOffset).toBe(200);
  });

  it('returns whole batches within maxBytes, one oversized batch with minOneBatch, and stays in one segment', async () => {
    const log = await openLog();
    await fill(log, 20, 2);
    const twoAndAHalf = await log.read(0, 101 * 2 + 50);
    expect(batchesIn(twoAndAHalf.records).map((b) => b.baseOffset)).toEqual([0, 2]);
    const tiny = await log.read(4, 10);
    expect(batchesIn(tiny.records).map((b) => b.baseOffset)).toEqual([4]);
    const none = await log.read(4, 10, { minOneBatch: false });
    expect(none.records.length).toBe(0);
    const big = await log.read(0, 1 << 20);
    const segs = log.segmentBaseOffsets();
    expect(batchesIn(big.records).at(-1)?.lastOffset).toBe((segs[1] ?? 0) - 1);
  });

  it('never returns a batch reaching maxOffset', async () => {
    const log = await openLog();
    await fill(log, 5, 2);
    const upTo6 = await log.read(0, 1 << 20, { maxOffset: 6 });
    expect(batchesIn(upTo6.records).map((b) => b.lastOffset)).toEqual([1, 3, 5]);
    const mid = await log.read(0, 1 << 20, { maxOffset: 5 });
    expect(batchesIn(mid.records).map((b) => b.lastOffset)).toEqual([1, 3]);
    const blocked = await log.read(4, 1 << 20, { maxOffset: 4 });
    expect(blocked.records.length).toBe(0);
  });

  it('throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset]', async () => {
    const log = await openLog();
    await fill(log, 3, 1);
    await expect(log.read(4, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(-1, 100)).rejects.toMatchObject({ code: 'KRILL_LOG_OFFSET_OUT_OF_RANGE' });
    await expect(log.read(3, 100)).resolves.toMatchObject({ logStartOffset: 0, logEndOffset: 3 });
  });

  it('appends several batches at once with consecutive offsets', async () => {
    const log = await openLog();
    const buf = Buffer.concat([makeBatch({ records: 2, maxTimestamp: 5 }), makeBatch({ records: 4, maxTimestamp: 9 }), makeBatch({ records: 1, maxTimestamp: 7 })]);
    const res = await log.append(buf);
    expect(res).toMatchObject({ baseOffset: 0, lastOffset: 6, maxTimestamp: 9, offsetOfMaxTimestamp: 5 });
    const { records } = await log.read(0, 1 << 20);
    expect(batchesIn(records).map((b) => [b.baseOffset, b.lastOffset])).toEqual([
      [0, 1],
      [2, 5],
      [6, 6],
    ]);
    for (let pos = 0, i = 0; i < 3; i++) {
      expect(checkBatch(records, pos)).toBeNull(); // offset rewrite keeps the CRC valid
      pos += 12 + records.readInt32BE(pos + 8);
    }
  });

  it('stamps LogAppendTime and keeps the CRC valid', async () => {
    const log = await openLog();
    const res = await log.append(makeBatch({ records: 2, maxTimestamp: 5 }), { logAppendTimeMs: 777 });
    expect(res.maxTimestamp).toBe(777);
    const { records } = await log.read(0, 1000);
    expect(checkBatch(records)).toBeNull();
    expect(records.readInt16BE(21) & 0x08).toBe(0x08);
    expect(batchesIn(records)[0]?.maxTimestamp).toBe(777);
  });

  it('rejects malformed input and appends larger than a segment without moving the log end', async () => {
    const log = await openLog();
    await expect(log.append(Buffer.alloc(0))).rejects.toBeInstanceOf(InvalidBatchError);
    await expect(log.append(makeBatch().subarray(0, 70))).rejects.toBeInstanceOf(InvalidBatchError);
    await expect(log.append(makeBatch({ payloadBytes: 2000 }))).rejects.toBeInstanceOf(RecordBatchTooLargeError);
    expect(log.logEndOffset).toBe(0);
    await expect(log.append(makeBatch())).resolves.toMatchObject({ baseOffset: 0 });
  });

  it('gives concurrent appends consecutive offsets in call order', async () => {
    const log = await openLog();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => log.append(makeBatch({ records: (i % 4) + 1, fill: i }))));
    let expected = 0;
    results.forEach((r, i) => {
      expect(r.baseOffset).toBe(expected);
      expected += (i % 4) + 1;
      expect(r.lastOffset).toBe(expected - 1);
    });
    expect(log.logEndOffset).toBe(expected);
    // The log end moved synchronously, before any write finished.
    const p = log.append(makeBatch({ records: 2 }));
    expect(log.logEndOffset).toBe(expected + 2);
    await p;
    let offset = 0;
    let seen = 0;
    while (offset < log.logEndOffset) {
      const batches = batchesIn((await log.read(offset, 1 << 20)).records);
      for (const b of batches) {
        expect(b.baseOffset).toBe(offset);
        offset = b.lastOffset + 1;
        seen++;
      }
    }
    expect(seen).toBe(101);
  });

  it('rolls when segment.ms elapsed between record timestamps', async () => {
    const log = await openLog(resolveLogConfig({ segmentMs: 1000 }));
    await log.append(makeBatch({ maxTimestamp: 10_000 }));
    await log.append(makeBatch({ maxTimestamp: 10_900 }));
    expect(log.segmentBaseOffsets()).toEqual([0]);
    await log.append(makeBatch({ maxTimestamp: 11_001 }));
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
  });

  it('rolls when the index is full', async () => {
    const log = await openLog(resolveLogConfig({ segmentIndexBytes: 24, indexIntervalBytes: 0 }));
    await fill(log, 8, 1);
    // 24 bytes hold 3 offset entries (and 2 time entries): every few batches a new segment.
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(2);
    const all = [];
    for (let o = 0; o < 8; o++) all.push(batchesIn((await log.read(o, 101)).records)[0]?.baseOffset);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('fails the log on an I/O error: appends of the group after it reject, later appends are refused', async () => {
    const log = await openLog();
    await fill(log, 9, 1); // 909 bytes: one more 101-byte batch fits, the one after rolls
    await rm(dir, { recursive: true, force: true }); // the roll cannot create its files
    // One write group: the first append is written, the roll fails the rest.
    const results = await Promise.allSettled(Array.from({ length: 3 }, () => log.append(makeBatch())));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(LogFailedError);
    await expect(log.append(makeBatch())).rejects.toMatchObject({ code: 'KRILL_LOG_FAILED', kafkaError: 'KAFKA_STORAGE_ERROR' });
    await expect(log.flush()).rejects.toBeInstanceOf(LogFailedError);
    // Reads of vanished files surface as a typed storage error.
    await expect(log.read(9, 200)).rejects.toMatchObject({ kafkaError: 'KAFKA_STORAGE_ERROR' });
    await log.close();
  });

  it('refuses use after close', async () => {
    const log = await openLog();
    await fill(log, 2);
    await log.close();
    await expect(log.append(makeBatch())).rejects.toBeInstanceOf(LogClosedError);
    await expect(log.read(0, 10)).rejects.toBeInstanceOf(LogClosedError);
  });
});

describe('PartitionLog timestamps', () => {
  it('finds the first batch whose max timestamp is >= ts, across segments', async () => {
    const log = await openLog();
    const stamps = [100, 300, 200, 400, 400, 250, 900, 500, 1000, 950];
    for (let round = 0; round < 6; round++) {
      for (const [i, ts] of stamps.entries()) await log.append(makeBatch({ records: 2, maxTimestamp: ts + round * 1000, fill: i }));
    }
    const flat: number[] = [];
    for (let round = 0; round < 6; round++) for (const ts of stamps) flat.push(ts + round * 1000);
    const expectFor = (ts: number): { offset: number; timestamp: number } | null => {
      const i = flat.findIndex((t) => t >= ts);
      return i < 0 ? null : { offset: i * 2, timestamp: flat[i] as number };
    };
    for (const ts of [0, 100, 101, 250, 301, 401, 999, 1000, 1001, 2500, 5949, 5950, 5951, 6000, 7000]) {
      expect(await log.offsetForTimestamp(ts)).toEqual(expectFor(ts));
    }
    expect(await log.maxTimestampAndOffset()).toEqual({ timestamp: 6000, offset: 117 });
  });

  it('respects the log start offset', async () => {
    const log = await openLog();
    await fill(log, 30, 2, (i) => i * 10);
    await log.deleteRecordsBefore(15);
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 15, timestamp: 70 });
    expect(await log.offsetForTimestamp(200)).toEqual({ offset: 40, timestamp: 200 });
  });

  it('is null on an empty log', async () => {
    const log = await openLog();
    expect(await log.offsetForTimestamp(0)).toBeNull();
    expect(await log.maxTimestampAndOffset()).toBeNull();
  });
});

describe('PartitionLog flush', () => {
  it('group-commits concurrent flushes', async () => {
    const log = await openLog();
    await fill(log, 5);
    const before = log.fsyncCount;
    await Promise.all(Array.from({ length: 200 }, () => log.flush()));
    expect(log.fsyncCount - before).toBeLessThanOrEqual(2);
    expect(log.recoveryPoint).toBe(log.logEndOffset);
    expect(log.unflushedMessages).toBe(0);
  });

  it('interleaved appends and flushes: each flush covers the appends completed before it', async () => {
    const log = await openLog();
    const work: Array<Promise<unknown>> = [];
    for (let i = 0; i < 50; i++) {
      work.push(log.append(makeBatch()).then(() => log.flush()));
    }
    await Promise.all(work);
    expect(log.recoveryPoint).toBe(50);
    expect(log.fsyncCount).toBeLessThan(50);
  });

  it('flushes by itself after flush.messages offsets', async () => {
    const log = await openLog(resolveLogConfig({ flushIntervalMessages: 10 }));
    await fill(log, 3, 3);
    expect(log.fsyncCount).toBe(0);
    await fill(log, 1, 3);
    expect(log.fsyncCount).toBe(1);
    expect(log.unflushedMessages).toBe(0);
  });
});
