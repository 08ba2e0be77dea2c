import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetIndex } from '../../../src/log/offset-index.js';
import { floorSearch, lowerSearch } from '../../../src/log/sorted-search.js';

describe('floorSearch / lowerSearch', () => {
  it('match a linear scan', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 })), fc.integer({ min: -1100, max: 1100 }), (raw, target) => {
        const keys = [...raw].sort((a, b) => a - b);
        let floor = -1;
        let lower = -1;
        keys.forEach((k, i) => {
          if (k <= target) floor = i;
          if (k < target) lower = i;
        });
        expect(floorSearch(keys, keys.length, target)).toBe(floor);
        expect(lowerSearch(keys, keys.length, target)).toBe(lower);
      }),
    );
  });

  it('only looks at the first count entries', () => {
    expect(floorSearch([1, 2, 3, 4], 2, 10)).toBe(1);
    expect(floorSearch([], 0, 10)).toBe(-1);
  });
});

describe('OffsetIndex', () => {
  const build = (): OffsetIndex => {
    const ix = new OffsetIndex(100, 1000);
    ix.append(104, 0);
    ix.append(110, 4096);
    ix.append(120, 8300);
    return ix;
  };

  it('looks up the greatest entry <= target', () => {
    const ix = build();
    expect(ix.lookup(99)).toEqual({ offset: 100, position: 0 });
    expect(ix.lookup(100)).toEqual({ offset: 100, position: 0 });
    expect(ix.lookup(103)).toEqual({ offset: 100, position: 0 });
    expect(ix.lookup(104)).toEqual({ offset: 104, position: 0 });
    expect(ix.lookup(115)).toEqual({ offset: 110, position: 4096 });
    expect(ix.lookup(10_000)).toEqual({ offset: 120, position: 8300 });
  });

  it('rejects entries that do not increase', () => {
    const ix = build();
    expect(() => ix.append(120, 9000)).toThrow(RangeError);
    expect(() => ix.append(121, 8300)).toThrow(RangeError);
    expect(() => ix.append(99, 9000)).toThrow(RangeError);
  });

  it('round-trips through the file format and validates it', () => {
    const ix = build();
    const bytes = ix.encode();
    expect(bytes.length).toBe(24);
    const back = OffsetIndex.decode(100, 1000, bytes, { logSize: 9000, nextOffset: 200 });
    expect(back).toBeInstanceOf(OffsetIndex);
    expect((back as OffsetIndex).entries).toBe(3);
    expect((back as OffsetIndex).lookup(111)).toEqual({ offset: 110, position: 4096 });
    expect(typeof OffsetIndex.decode(100, 1000, bytes.subarray(0, 20), { logSize: 9000, nextOffset: 200 })).toBe('string');
    expect(typeof OffsetIndex.decode(100, 1000, bytes, { logSize: 8000, nextOffset: 200 })).toBe('string');
    expect(typeof OffsetIndex.decode(100, 1000, bytes, { logSize: 9000, nextOffset: 115 })).toBe('string');
    const swapped = Buffer.concat([bytes.subarray(8, 16), bytes.subarray(0, 8)]);
    expect(typeof OffsetIndex.decode(100, 1000, swapped, { logSize: 9000, nextOffset: 200 })).toBe('string');
    expect(OffsetIndex.encodeEntries(100, [ix.entry(1)])).toEqual(bytes.subarray(8, 16));
  });

  it('truncates by position and reports fullness', () => {
    const ix = build();
    expect(ix.entriesBelowPosition(8300)).toBe(2);
    expect(ix.entriesBelowPosition(8301)).toBe(3);
    expect(ix.entriesBelowPosition(0)).toBe(0);
    ix.truncateToEntries(1);
    expect(ix.last()).toEqual({ offset: 104, position: 0 });
    const small = new OffsetIndex(0, 2);
    small.append(1, 10);
    expect(small.isFull).toBe(false);
    small.append(2, 20);
    expect(small.isFull).toBe(true);
  });

  it('grows past its initial capacity', () => {
    const ix = new OffsetIndex(0, 1_000_000);
    for (let i = 0; i < 5000; i++) ix.append(i * 3 + 2, i * 100);
    expect(ix.entries).toBe(5000);
    expect(ix.lookup(3 * 2500 + 3)).toEqual({ offset: 3 * 2500 + 2, position: 250_000 });
  });
});
