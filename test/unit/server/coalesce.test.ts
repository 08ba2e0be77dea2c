import { describe, expect, it } from 'vitest';
import { COPY_MAX, coalesce } from '../../../src/server/coalesce.js';

const big = (n: number): Buffer => Buffer.alloc(COPY_MAX + n, n);

describe('coalesce', () => {
  it('merges runs of small chunks and passes large ones through uncopied', () => {
    const large1 = big(1);
    const large2 = big(2);
    const chunks = [Buffer.from('ab'), Buffer.from('cd'), large1, Buffer.from('e'), large2, large2, Buffer.from('f'), Buffer.from('g')];
    const out = coalesce(chunks);
    expect(out.map((b) => b.length)).toEqual([4, large1.length, 1, large2.length, large2.length, 2]);
    expect(out[1]).toBe(large1);
    expect(out[3]).toBe(large2);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('keeps a single chunk and an empty list as they are', () => {
    const one = Buffer.from('x');
    expect(coalesce([one])[0]).toBe(one);
    expect(coalesce([])).toEqual([]);
  });

  it('many small responses become one buffer', () => {
    const chunks = Array.from({ length: 100 }, (_, i) => Buffer.from(`response-${i};`));
    const out = coalesce(chunks);
    expect(out).toHaveLength(1);
    expect(out[0].toString()).toBe(chunks.map((c) => c.toString()).join(''));
  });
});
