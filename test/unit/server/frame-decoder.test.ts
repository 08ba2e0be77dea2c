import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError, InvalidFrameSizeError } from '../../../src/server/frame-decoder.js';

function frame(payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(4 + payload.length);
  b.writeInt32BE(payload.length, 0);
  payload.copy(b, 4);
  return b;
}

describe('FrameDecoder', () => {
  it('returns the same frames however the stream is split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 50 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const d = new FrameDecoder(1000);
          const got: Buffer[] = [];
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const n = cuts[i % cuts.length];
            got.push(...d.push(stream.subarray(pos, pos + n)));
            pos += n;
          }
          expect(got.map((b) => Buffer.from(b).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(d.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does not copy frames that lie inside one chunk', () => {
    const chunk = Buffer.concat([frame(Buffer.alloc(10, 1)), frame(Buffer.alloc(20, 2)), frame(Buffer.alloc(30, 3)).subarray(0, 7)]);
    const d = new FrameDecoder(1000);
    const frames = d.push(chunk);
    expect(frames.map((f) => f.length)).toEqual([10, 20]);
    for (const f of frames) expect(f.buffer).toBe(chunk.buffer);
    expect(d.bufferedBytes).toBe(3); // its 4-byte prefix is consumed
    const rest = d.push(frame(Buffer.alloc(30, 3)).subarray(7));
    expect(rest).toHaveLength(1);
    expect(rest[0].equals(Buffer.alloc(30, 3))).toBe(true);
  });

  it('checks the size prefix before buffering the frame', () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(1001);
    expect(() => new FrameDecoder(1000).push(big)).toThrow(FrameTooLargeError);
    const tiny = Buffer.alloc(4);
    tiny.writeInt32BE(7);
    expect(() => new FrameDecoder(1000).push(tiny)).toThrow(InvalidFrameSizeError);
    const d = new FrameDecoder(1000);
    expect(d.push(big.subarray(0, 2))).toEqual([]);
    expect(() => d.push(big.subarray(2))).toThrow(FrameTooLargeError);
  });

  it('ignores empty chunks', () => {
    const d = new FrameDecoder(1000);
    expect(d.push(Buffer.alloc(0))).toEqual([]);
    expect(d.push(frame(Buffer.alloc(8)))).toHaveLength(1);
  });
});
