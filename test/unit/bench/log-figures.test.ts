import { describe, expect, it } from 'vitest';
import { buildStaticBatch } from '../../../src/bench/batches.js';
import { COLD_MAX_CACHED_PCT, coldProblem, planLog, recordsIn, recoveryProblem, scanChunk } from '../../../src/bench/log-figures.js';
import { setBaseOffset } from '../../../src/protocol/record-batch.js';

function batchAt(baseOffset: number, records: number): Buffer {
  const b = buildStaticBatch({ recordBytes: 16, records, compression: 'none', timestampMs: 1000 });
  setBaseOffset(b, 0, baseOffset);
  return b;
}

describe('planLog', () => {
  it('writes whole batches up to the target', () => {
    expect(planLog(1000, 300, 1)).toEqual({ batches: 4, bytes: 1200, concurrency: 1 });
    expect(planLog(900, 300, 2)).toEqual({ batches: 3, bytes: 900, concurrency: 2 });
  });

  it('gives every appender at least one batch', () => {
    expect(planLog(100, 300, 16)).toEqual({ batches: 16, bytes: 4800, concurrency: 16 });
  });

  it('rejects empty sizes', () => {
    expect(() => planLog(0, 300, 1)).toThrow(RangeError);
    expect(() => planLog(100, 0, 1)).toThrow(RangeError);
    expect(() => planLog(100, 300, 0)).toThrow(RangeError);
  });
});

describe('scanChunk', () => {
  it('counts whole batches, records and the next offset', () => {
    const a = batchAt(10, 3);
    const b = batchAt(13, 5);
    expect(scanChunk(Buffer.concat([a, b]))).toEqual({ batches: 2, records: 8, nextOffset: 18, bytes: a.length + b.length });
  });

  it('ignores a trailing partial batch', () => {
    const a = batchAt(0, 2);
    const b = batchAt(2, 2);
    expect(scanChunk(Buffer.concat([a, b.subarray(0, b.length - 1)]))).toEqual({ batches: 1, records: 2, nextOffset: 2, bytes: a.length });
  });

  it('has no next offset for an empty read', () => {
    expect(scanChunk(Buffer.alloc(0))).toEqual({ batches: 0, records: 0, nextOffset: null, bytes: 0 });
  });

  it('reads the record count of a prebuilt batch', () => {
    expect(recordsIn(batchAt(0, 7))).toBe(7);
  });
});

describe('coldProblem', () => {
  it('accepts a confirmed eviction', () => {
    expect(coldProblem(true, 0)).toBeNull();
    expect(coldProblem(true, COLD_MAX_CACHED_PCT)).toBeNull();
  });

  it('refuses to call a read cold without proof', () => {
    expect(coldProblem(false, 0)).toMatch(/cold not measurable/);
    expect(coldProblem(true, null)).toMatch(/fincore/);
    expect(coldProblem(true, COLD_MAX_CACHED_PCT + 1)).toMatch(/stayed in the page cache/);
  });
});

describe('recoveryProblem', () => {
  it('accepts a recovery that verified every byte and kept every offset', () => {
    expect(recoveryProblem(1000, 1000, 50, 50)).toBeNull();
  });

  it('flags a partial verification (a clean open would look fast)', () => {
    expect(recoveryProblem(0, 1000, 50, 50)).toMatch(/verified 0 of 1000 bytes/);
  });

  it('flags a changed log end', () => {
    expect(recoveryProblem(1000, 1000, 50, 40)).toMatch(/from 50 to 40/);
  });
});
