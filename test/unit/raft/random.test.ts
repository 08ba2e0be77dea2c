import { describe, expect, it } from 'vitest';
import { forkRandom, seededRandom, systemRandom } from '../../../src/platform/random.js';

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const take = (seed: number): number[] => {
      const r = seededRandom(seed);
      return Array.from({ length: 16 }, () => r.nextUint32());
    };
    expect(take(42)).toEqual(take(42));
    expect(take(42)).not.toEqual(take(43));
    expect(take(0)).not.toEqual(take(2 ** 32)); // high bits of large seeds count
  });

  it('stays in range and covers it roughly uniformly', () => {
    const r = seededRandom(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i += 1) {
      const x = r.nextInt(10);
      expect(x >= 0 && x < 10 && Number.isInteger(x)).toBe(true);
      counts[x]! += 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    for (let i = 0; i < 1_000; i += 1) {
      const f = r.nextFloat();
      expect(f >= 0 && f < 1).toBe(true);
      const u = r.nextUint32();
      expect(u >= 0 && u < 2 ** 32 && Number.isInteger(u)).toBe(true);
    }
  });

  it('rejects bad bounds and seeds', () => {
    const r = seededRandom(1);
    for (const bound of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) expect(() => r.nextInt(bound)).toThrow(RangeError);
    expect(r.nextInt(1)).toBe(0);
    expect(() => seededRandom(0.5)).toThrow(RangeError);
  });

  it('forks independent deterministic streams', () => {
    const a = forkRandom(seededRandom(5));
    const b = forkRandom(seededRandom(5));
    expect(a.nextUint32()).toBe(b.nextUint32());
    const parent = seededRandom(5);
    const child1 = forkRandom(parent);
    const child2 = forkRandom(parent);
    expect(child1.nextUint32()).not.toBe(child2.nextUint32());
  });
});

describe('systemRandom', () => {
  it('stays in range', () => {
    const r = systemRandom();
    for (let i = 0; i < 100; i += 1) {
      expect(r.nextInt(3)).toBeLessThan(3);
      expect(r.nextFloat()).toBeLessThan(1);
      expect(r.nextUint32()).toBeLessThan(2 ** 32);
    }
    expect(() => r.nextInt(0)).toThrow(RangeError);
  });
});
