import { describe, expect, it } from 'vitest';
import { type CleaningInput, groupSegments, planCleaning, retainRecord } from '../../../src/log/cleaner-plan.js';
import { keyId, OffsetMap } from '../../../src/log/offset-map.js';

/** Four segments at 0, 10, 20, 30 (the last active), 100 bytes each. */
const base: CleaningInput = {
  segments: [0, 10, 20, 30].map((b, i) => ({ baseOffset: b, sizeBytes: 100, largestTimestamp: 1000 * (i + 1) })),
  logStartOffset: 0,
  logEndOffset: 35,
  highWatermark: 35,
  checkpoint: null,
  nowMs: 10_000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
};

describe('planCleaning', () => {
  const cases: Array<[string, Partial<CleaningInput>, Record<string, unknown>]> = [
    ['never cleaned: everything below the active segment is dirty', {}, { firstDirtyOffset: 0, firstUncleanableOffset: 30, cleanBytes: 0, dirtyBytes: 300, dirtyRatio: 1, shouldClean: true, cleanableSegments: 3 }],
    ['checkpoint splits clean and dirty', { checkpoint: 20 }, { firstDirtyOffset: 20, cleanBytes: 200, dirtyBytes: 100, shouldClean: false, cleanableSegments: 3 }],
    ['ratio must exceed the minimum', { checkpoint: 10, minCleanableDirtyRatio: 0.66 }, { dirtyBytes: 200, cleanBytes: 100, shouldClean: true }],
    ['ratio equal to the minimum does not clean', { checkpoint: 10, minCleanableDirtyRatio: 2 / 3 }, { shouldClean: false }],
    ['a checkpoint inside a segment counts that segment on both sides', { checkpoint: 15 }, { cleanBytes: 200, dirtyBytes: 200, dirtyRatio: 0.5 }],
    ['fully cleaned: nothing dirty', { checkpoint: 30 }, { dirtyBytes: 0, shouldClean: false }],
    ['a checkpoint below the log start is raised', { checkpoint: 2, logStartOffset: 12 }, { firstDirtyOffset: 12 }],
    ['a checkpoint past the log end resets to the log start', { checkpoint: 99 }, { firstDirtyOffset: 0 }],
    ['min.compaction.lag.ms stops at the first young segment', { minCompactionLagMs: 7500 }, { firstUncleanableOffset: 20, dirtyBytes: 200, cleanableSegments: 2 }],
    ['all dirty segments too young', { minCompactionLagMs: 9500 }, { firstUncleanableOffset: 0, dirtyBytes: 0, shouldClean: false, cleanableSegments: 0 }],
    ['the high watermark bounds the dirty range', { highWatermark: 15 }, { firstUncleanableOffset: 15, dirtyBytes: 200, cleanableSegments: 2 }],
    ['max.compaction.lag.ms forces a cleaning below the ratio', { checkpoint: 20, maxCompactionLagMs: 5000 }, { needCompactionNow: true, shouldClean: true }],
    ['unknown timestamps count as too young', { segments: [{ baseOffset: 0, sizeBytes: 100, largestTimestamp: null }, { baseOffset: 10, sizeBytes: 1, largestTimestamp: 1 }] }, { firstUncleanableOffset: 0, shouldClean: false }],
    ['one active segment only', { segments: [{ baseOffset: 0, sizeBytes: 100, largestTimestamp: 1 }] }, { firstUncleanableOffset: 0, shouldClean: false, cleanableSegments: 0 }],
  ];
  for (const [name, override, expected] of cases) {
    it(name, () => {
      expect(planCleaning({ ...base, ...override })).toMatchObject(expected);
    });
  }
});

describe('groupSegments', () => {
  const seg = (baseOffset: number, sizeBytes: number, endOffset: number, entries = 1) => ({ baseOffset, sizeBytes, endOffset, offsetIndexEntries: entries, timeIndexEntries: entries });
  const limits = { maxBytes: 250, maxOffsetIndexEntries: 10, maxTimeIndexEntries: 10 };
  it('merges while the total fits segment.bytes', () => {
    expect(groupSegments([seg(0, 100, 10), seg(10, 100, 20), seg(20, 100, 30), seg(30, 40, 40)], limits)).toEqual([2, 2]);
  });
  it('a segment larger than the limit stands alone', () => {
    expect(groupSegments([seg(0, 300, 10), seg(10, 10, 20)], limits)).toEqual([1, 1]);
  });
  it('respects index capacity', () => {
    expect(groupSegments([seg(0, 1, 10, 6), seg(10, 1, 20, 6)], limits)).toEqual([1, 1]);
  });
  it('keeps offsets within int32 of the group base', () => {
    const big = 2 ** 31;
    expect(groupSegments([seg(0, 1, 10), seg(10, 1, big + 1)], limits)).toEqual([1, 1]);
    expect(groupSegments([seg(0, 1, 10), seg(10, 0, big + 1)], limits)).toEqual([2]);
  });
  it('no segments, no groups', () => {
    expect(groupSegments([], limits)).toEqual([]);
  });
});

describe('retainRecord', () => {
  const ctx = { mapEnd: 100, dropTombstones: false };
  const cases: Array<[string, [number, boolean, boolean, number | undefined], typeof ctx, boolean]> = [
    ['newest for its key', [50, true, false, 50], ctx, true],
    ['superseded', [40, true, false, 50], ctx, false],
    ['key not in the map (clean part, no newer value)', [10, true, false, undefined], ctx, true],
    ['past the mapped end stays even when superseded', [120, true, false, 50], ctx, true],
    ['no key stays (never acknowledged-then-lost)', [10, false, false, undefined], ctx, true],
    ['newest tombstone stays within delete.retention.ms', [50, true, true, 50], ctx, true],
    ['newest tombstone goes after delete.retention.ms', [50, true, true, 50], { mapEnd: 100, dropTombstones: true }, false],
    ['superseded tombstone goes', [40, true, true, 50], ctx, false],
    ['tombstone past the mapped end stays', [150, true, true, undefined], { mapEnd: 100, dropTombstones: true }, true],
  ];
  for (const [name, args, c, expected] of cases) {
    it(name, () => {
      expect(retainRecord(...args, c)).toBe(expected);
    });
  }
});

describe('OffsetMap', () => {
  it('keeps the newest offset per key and refuses new keys when full', () => {
    const map = new OffsetMap(2);
    expect(map.put(Buffer.from('a'), 1)).toBe(true);
    expect(map.put(Buffer.from('b'), 2)).toBe(true);
    expect(map.put(Buffer.from('a'), 3)).toBe(true);
    expect(map.put(Buffer.from('c'), 4)).toBe(false);
    expect(map.get(Buffer.from('a'))).toBe(3);
    expect(map.get(Buffer.from('c'))).toBeUndefined();
    expect(map.size).toBe(2);
  });
  it('tells long keys apart by digest and never confuses them with short ones', () => {
    const long1 = Buffer.alloc(100, 1);
    const long2 = Buffer.alloc(100, 2);
    expect(keyId(long1)).not.toBe(keyId(long2));
    expect(keyId(long1).length).toBeLessThan(40);
    expect(keyId(Buffer.from('h'))).not.toBe(keyId(Buffer.alloc(0)));
  });
});
