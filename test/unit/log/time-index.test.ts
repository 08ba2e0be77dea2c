import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_CURSOR, planIndexEntries, type BatchInfo } from '../../../src/log/index-plan.js';
import { TimeIndex } from '../../../src/log/time-index.js';

describe('TimeIndex', () => {
  const build = (): TimeIndex => {
    const ix = new TimeIndex(50, 100);
    expect(ix.maybeAppend(1000, 55)).toBe(true);
    expect(ix.maybeAppend(1000, 60)).toBe(false); // not larger
    expect(ix.maybeAppend(900, 60)).toBe(false);
    expect(ix.maybeAppend(2000, 60)).toBe(true);
    expect(ix.maybeAppend(3000, 70)).toBe(true);
    return ix;
  };

  it('appends only increasing timestamps', () => {
    const ix = build();
    expect(ix.entries).toBe(3);
    expect(ix.lastTimestamp).toBe(3000);
    expect(() => ix.maybeAppend(4000, 65)).toThrow(RangeError);
  });

  it('finds the greatest entry <= ts and < ts', () => {
    const ix = build();
    expect(ix.lookupFloor(999)).toBeNull();
    expect(ix.lookupFloor(1000)).toEqual({ timestamp: 1000, offset: 55 });
    expect(ix.lookupFloor(2500)).toEqual({ timestamp: 2000, offset: 60 });
    expect(ix.lookupBefore(1000)).toBeNull();
    expect(ix.lookupBefore(2000)).toEqual({ timestamp: 1000, offset: 55 });
    expect(ix.lookupBefore(1e15)).toEqual({ timestamp: 3000, offset: 70 });
  });

  it('round-trips and validates the file format', () => {
    const ix = build();
    const bytes = ix.encode();
    const back = TimeIndex.decode(50, 100, bytes, { nextOffset: 100 }) as TimeIndex;
    expect(back.entries).toBe(3);
    expect(back.last()).toEqual({ timestamp: 3000, offset: 70 });
    expect(typeof TimeIndex.decode(50, 100, bytes.subarray(1), { nextOffset: 100 })).toBe('string');
    expect(typeof TimeIndex.decode(50, 100, bytes, { nextOffset: 70 })).toBe('string');
    const reversed = Buffer.concat([bytes.subarray(12, 24), bytes.subarray(0, 12)]);
    expect(typeof TimeIndex.decode(50, 100, reversed, { nextOffset: 100 })).toBe('string');
    expect(TimeIndex.encodeEntries(50, [{ timestamp: 2000, offset: 60 }])).toEqual(bytes.subarray(12, 24));
  });

  it('truncates by offset', () => {
    const ix = build();
    expect(ix.entriesBelowOffset(60)).toBe(1);
    expect(ix.entriesBelowOffset(61)).toBe(2);
    ix.truncateToEntries(ix.entriesBelowOffset(61));
    expect(ix.lastTimestamp).toBe(2000);
  });
});

describe('planIndexEntries', () => {
  const batches = (sizes: number[], timestamps: number[]): BatchInfo[] => {
    let pos = 0;
    return sizes.map((size, i) => {
      const b = { position: pos, size, baseOffset: i * 2, lastOffset: i * 2 + 1, maxTimestamp: timestamps[i] ?? -1 };
      pos += size;
      return b;
    });
  };
  const room = { offsetEntries: 100, timeEntries: 100, lastIndexedTimestamp: -1 };

  it('adds an entry once more than the interval was appended since the last', () => {
    const plan = planIndexEntries(EMPTY_CURSOR, batches([60, 60, 60, 60, 60], [1, 2, 3, 4, 5]), 100, room);
    // bytes before each batch: 0, 60, 120 (>100: entry, reset), 60, 120 (entry)
    expect(plan.offsetEntries).toEqual([
      { offset: 5, position: 120 },
      { offset: 9, position: 240 },
    ]);
    expect(plan.timeEntries).toEqual([
      { timestamp: 3, offset: 5 },
      { timestamp: 5, offset: 9 },
    ]);
    expect(plan.cursor).toEqual({ bytesSinceLastEntry: 60, maxTimestamp: 5, offsetOfMaxTimestamp: 9 });
  });

  it('records the first batch with the max timestamp and skips non-increasing time entries', () => {
    const plan = planIndexEntries(EMPTY_CURSOR, batches([200, 200, 200, 200], [50, 40, 50, 10]), 100, room);
    expect(plan.offsetEntries.map((e) => e.position)).toEqual([200, 400, 600]);
    expect(plan.timeEntries).toEqual([{ timestamp: 50, offset: 1 }]);
    expect(plan.cursor.offsetOfMaxTimestamp).toBe(1);
  });

  it('respects the room left in full indexes', () => {
    const plan = planIndexEntries(EMPTY_CURSOR, batches([200, 200, 200, 200], [1, 2, 3, 4]), 100, {
      offsetEntries: 1,
      timeEntries: 0,
      lastIndexedTimestamp: -1,
    });
    expect(plan.offsetEntries).toHaveLength(1);
    expect(plan.timeEntries).toHaveLength(0);
  });

  it('planning in pieces equals planning at once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 61, max: 500 }), fc.integer({ min: -1, max: 100 })), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 59 }),
        (spec, cut) => {
          const all = batches(
            spec.map((s) => s[0]),
            spec.map((s) => s[1]),
          );
          const whole = planIndexEntries(EMPTY_CURSOR, all, 300, room);
          const k = Math.min(cut, all.length);
          const a = planIndexEntries(EMPTY_CURSOR, all.slice(0, k), 300, room);
          const lastTs = a.timeEntries.at(-1)?.timestamp ?? -1;
          const b = planIndexEntries(a.cursor, all.slice(k), 300, { ...room, lastIndexedTimestamp: lastTs });
          expect([...a.offsetEntries, ...b.offsetEntries]).toEqual(whole.offsetEntries);
          expect([...a.timeEntries, ...b.timeEntries]).toEqual(whole.timeEntries);
          expect(b.cursor).toEqual(whole.cursor);
        },
      ),
    );
  });
});
