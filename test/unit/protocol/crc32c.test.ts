import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cImplementation, crc32cJs, crc32cNative } from '../../../src/protocol/crc32c.js';

// Check values of CRC-32C (RFC 3720 appendix B.4 and the usual "123456789").
const VECTORS: Array<[Buffer, number]> = [
  [Buffer.from('123456789'), 0xe3069283],
  [Buffer.alloc(0), 0],
  [Buffer.alloc(32, 0), 0x8a9136aa],
  [Buffer.alloc(32, 0xff), 0x62a8ab43],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  [Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

describe('crc32c', () => {
  it('uses the native implementation on this platform', () => {
    expect(crc32cImplementation).toBe('native');
    expect(crc32cNative).not.toBeNull();
  });

  it('matches known vectors in both implementations', () => {
    for (const [data, want] of VECTORS) {
      expect(crc32c(data)).toBe(want);
      expect(crc32cJs(data) >>> 0).toBe(want);
      expect(crc32cNative!(data) >>> 0).toBe(want);
    }
  });

  it('native and JavaScript agree on random inputs, ranges and seeds', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffffffff }), (bytes, a, b, seed) => {
        const buf = Buffer.from(bytes);
        const start = buf.length === 0 ? 0 : a % buf.length;
        const end = start + (buf.length === start ? 0 : b % (buf.length - start + 1));
        const view = buf.subarray(start, end);
        expect(crc32cNative!(view) >>> 0).toBe(crc32cJs(view) >>> 0);
        expect(crc32cNative!(view, seed) >>> 0).toBe(crc32cJs(view, seed) >>> 0);
        expect(crc32c(buf, start, end)).toBe(crc32cJs(view) >>> 0);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on a large unaligned buffer', () => {
    const big = Buffer.alloc((1 << 20) + 13);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const view = big.subarray(7);
    expect(crc32cNative!(view) >>> 0).toBe(crc32cJs(view) >>> 0);
  });
});
