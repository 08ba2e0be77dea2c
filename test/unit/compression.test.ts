import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compress,
  compressSync,
  CompressionType,
  decompress,
  decompressSync,
} from '../../src/protocol/compression/index.js';
import { XERIAL_BLOCK_SIZE } from '../../src/protocol/compression/snappy.js';
import {
  CorruptCompressedDataError,
  DecompressionLimitError,
  RecordError,
  UnsupportedCompressionError,
} from '../../src/protocol/record-errors.js';

const require = createRequire(import.meta.url);

interface JsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}
const kafkajsSnappy = (require('kafkajs-snappy') as () => JsCodec)();
const Lz4Codec = require('@2l/kafkajs-lz4') as new () => { codec: () => JsCodec };
const kafkajsLz4 = new Lz4Codec().codec();
const kafkajsGzip = require('kafkajs/src/protocol/message/compression/gzip') as JsCodec;
const rawSnappy = require('snappy') as { compressSync(b: Buffer): Buffer };
const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer): Buffer };

interface ZstdCCtx {
  setParameter(param: number, value: number): void;
  compressStream2(dst: Buffer, src: Buffer, end: number): [number, number, number];
}
const zstd = require('zstd-napi/binding.js') as {
  CCtx: new () => ZstdCCtx;
  CParameter: Record<string, number>;
  EndDirective: Record<string, number>;
  compressBound(n: number): number;
  getFrameContentSize(b: Buffer): number | null;
};

const CODECS = [
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
  ['zstd', CompressionType.Zstd],
] as const;
const ALL = [['none', CompressionType.None], ...CODECS] as const;

/** Deterministic, partly compressible bytes: runs of repeated text mixed with noise. */
function sampleData(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  let pos = 0;
  while (pos < size) {
    const n = Math.min(size - pos, 1 + (next() % 200));
    if (next() % 2 === 0) out.fill(`krill-${next() % 10}-`, pos, pos + n);
    else for (let i = 0; i < n; i++) out[pos + i] = next() & 0xff;
    pos += n;
  }
  return out;
}

/** A zstd frame written in streaming mode with no content size, like zstd-jni's ZstdOutputStream. */
function zstdWithoutContentSize(data: Buffer): Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag as number, 0);
  const out = Buffer.alloc(zstd.compressBound(data.length) + 64);
  const [remaining, produced, consumed] = cctx.compressStream2(out, data, zstd.EndDirective.end as number);
  expect(remaining).toBe(0);
  expect(consumed).toBe(data.length);
  return out.subarray(0, produced);
}

describe.each(ALL)('%s round trip', (_name, type) => {
  it('round-trips random bytes (async and sync)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 4096 }), async (arr) => {
        const data = Buffer.from(arr);
        const packed = await compress(type, data);
        expect((await decompress(type, packed)).equals(data)).toBe(true);
        expect(decompressSync(type, compressSync(type, data)).equals(data)).toBe(true);
        expect(decompressSync(type, packed).equals(data)).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips empty input', async () => {
    const packed = await compress(type, Buffer.alloc(0));
    expect((await decompress(type, packed)).length).toBe(0);
    expect(decompressSync(type, compressSync(type, Buffer.alloc(0))).length).toBe(0);
  });

  it('treats an empty payload as empty output', async () => {
    expect((await decompress(type, Buffer.alloc(0))).length).toBe(0);
  });

  it('round-trips 1-5 MB inputs, compressible and not', async () => {
    for (const data of [sampleData(3 * 1024 * 1024 + 17), Buffer.from(sampleData(1024 * 1024, 7).map((_, i) => (i * 2654435761) >>> 24))]) {
      const packed = await compress(type, data);
      expect((await decompress(type, packed)).equals(data)).toBe(true);
      expect(decompressSync(type, compressSync(type, data)).equals(data)).toBe(true);
    }
  });
});

describe.each(CODECS)('%s limits and corruption', (name, type) => {
  const data = sampleData(200_000, 3);

  it('accepts output exactly at maxBytes and refuses one byte less', async () => {
    const packed = await compress(type, data);
    expect((await decompress(type, packed, { maxBytes: data.length })).equals(data)).toBe(true);
    await expect(decompress(type, packed, { maxBytes: data.length - 1 })).rejects.toBeInstanceOf(DecompressionLimitError);
    expect(() => decompressSync(type, packed, { maxBytes: data.length - 1 })).toThrow(DecompressionLimitError);
  });

  it('refuses a highly compressible bomb past the limit', async () => {
    const bomb = await compress(type, Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(600_000);
    const err = await decompress(type, bomb, { maxBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecompressionLimitError);
    expect((err as DecompressionLimitError).code).toBe('KRILL_DECOMPRESSION_LIMIT');
    expect((err as Error).message).toContain(name);
  });

  it('throws typed errors on truncated input', async () => {
    const packed = await compress(type, data);
    for (const cut of [1, 5, Math.floor(packed.length / 2), packed.length - 1]) {
      const truncated = packed.subarray(0, cut);
      await expect(decompress(type, truncated)).rejects.toBeInstanceOf(CorruptCompressedDataError);
      expect(() => decompressSync(type, truncated)).toThrow(CorruptCompressedDataError);
    }
  });

  it('never throws anything but a typed error on arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), async (arr) => {
        const input = Buffer.from(arr);
        for (const attempt of [() => decompress(type, input), async () => decompressSync(type, input)]) {
          try {
            await attempt();
          } catch (err) {
            expect(err).toBeInstanceOf(RecordError);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but a typed error on corrupted output', async () => {
    const packed = await compress(type, sampleData(5000, 9));
    await fc.assert(
      fc.asyncProperty(fc.nat(packed.length - 1), fc.integer({ min: 1, max: 255 }), async (pos, flip) => {
        const bad = Buffer.from(packed);
        bad[pos] = (bad[pos] as number) ^ flip;
        try {
          await decompress(type, bad);
        } catch (err) {
          expect(err).toBeInstanceOf(RecordError);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('type dispatch', () => {
  it('throws UnsupportedCompressionError for types 5..7', async () => {
    for (const n of [5, 6, 7]) {
      const t = n as CompressionType;
      await expect(compress(t, Buffer.from('x'))).rejects.toBeInstanceOf(UnsupportedCompressionError);
      await expect(decompress(t, Buffer.from('x'))).rejects.toBeInstanceOf(UnsupportedCompressionError);
      expect(() => decompressSync(t, Buffer.from('x'))).toThrow(UnsupportedCompressionError);
    }
  });

  it('passes none through, still bounded by maxBytes', async () => {
    const data = Buffer.from('abc');
    expect(await compress(CompressionType.None, data)).toBe(data);
    await expect(decompress(CompressionType.None, data, { maxBytes: 2 })).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('rejects a negative maxBytes', async () => {
    await expect(decompress(CompressionType.Gzip, Buffer.from('x'), { maxBytes: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('gzip', () => {
  it('interoperates with kafkajs gzip codec', async () => {
    const data = sampleData(100_000, 11);
    expect((await kafkajsGzip.decompress(await compress(CompressionType.Gzip, data))).equals(data)).toBe(true);
    expect((await decompress(CompressionType.Gzip, await kafkajsGzip.compress({ buffer: data }))).equals(data)).toBe(true);
  });

  it('honours the level', async () => {
    const data = sampleData(100_000, 12);
    const fast = await compress(CompressionType.Gzip, data, { level: 1 });
    const best = await compress(CompressionType.Gzip, data, { level: 9 });
    expect(best.length).toBeLessThanOrEqual(fast.length);
    expect((await decompress(CompressionType.Gzip, fast)).equals(data)).toBe(true);
  });
});

describe('snappy (xerial framing)', () => {
  const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);

  function blocksOf(framed: Buffer): Buffer[] {
    const blocks: Buffer[] = [];
    for (let pos = 16; pos < framed.length; ) {
      const len = framed.readInt32BE(pos);
      blocks.push(framed.subarray(pos + 4, pos + 4 + len));
      pos += 4 + len;
    }
    return blocks;
  }

  it('writes the xerial header and blocks of at most 32 KiB', async () => {
    const data = sampleData(100_000, 5);
    const framed = await compress(CompressionType.Snappy, data);
    expect(framed.subarray(0, 8).equals(MAGIC)).toBe(true);
    expect(framed.readInt32BE(8)).toBe(1);
    expect(framed.readInt32BE(12)).toBe(1);
    const blocks = blocksOf(framed);
    expect(blocks.length).toBe(Math.ceil(data.length / XERIAL_BLOCK_SIZE));
    const sizes = await Promise.all(blocks.map((b) => decompress(CompressionType.Snappy, b).then((d) => d.length)));
    expect(sizes.every((s) => s <= XERIAL_BLOCK_SIZE)).toBe(true);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it('reads raw snappy blocks (snappy, and snappyjs via kafkajs-snappy)', async () => {
    const data = sampleData(70_000, 6);
    expect((await decompress(CompressionType.Snappy, rawSnappy.compressSync(data))).equals(data)).toBe(true);
    const fromKafkajs = await kafkajsSnappy.compress({ buffer: data });
    expect(fromKafkajs.subarray(0, 8).equals(MAGIC)).toBe(false);
    expect((await decompress(CompressionType.Snappy, fromKafkajs)).equals(data)).toBe(true);
  });

  it('is read by kafkajs-snappy', async () => {
    const data = sampleData(90_000, 8);
    expect((await kafkajsSnappy.decompress(await compress(CompressionType.Snappy, data))).equals(data)).toBe(true);
  });

  it('reads concatenated xerial streams', async () => {
    const a = sampleData(40_000, 1);
    const b = sampleData(1_000, 2);
    const both = Buffer.concat([await compress(CompressionType.Snappy, a), await compress(CompressionType.Snappy, b)]);
    expect((await decompress(CompressionType.Snappy, both)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('checks declared block lengths against the limit before inflating', async () => {
    // A raw block whose length varint claims 4 GiB - 1.
    const claim = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    await expect(decompress(CompressionType.Snappy, claim)).rejects.toBeInstanceOf(DecompressionLimitError);
    const framed = Buffer.concat([(await compress(CompressionType.Snappy, Buffer.alloc(0))), Buffer.from([0, 0, 0, 6]), claim]);
    await expect(decompress(CompressionType.Snappy, framed)).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('rejects a xerial block length past the end', async () => {
    const framed = Buffer.concat([await compress(CompressionType.Snappy, Buffer.alloc(0)), Buffer.from([0, 0, 1, 0, 5])]);
    await expect(decompress(CompressionType.Snappy, framed)).rejects.toBeInstanceOf(CorruptCompressedDataError);
  });
});

describe('lz4 (frame format)', () => {
  it('writes standard LZ4 frames', async () => {
    const framed = await compress(CompressionType.Lz4, sampleData(1000));
    expect(framed.readUInt32LE(0)).toBe(0x184d2204);
    // FLG: version 01 and independent blocks.
    expect((framed[4] as number) & 0xe0).toBe(0x60);
  });

  it('interoperates with @2l/kafkajs-lz4 in both directions', async () => {
    for (const data of [Buffer.alloc(0), sampleData(10), sampleData(300_000, 4)]) {
      expect((await kafkajsLz4.decompress(await compress(CompressionType.Lz4, data))).equals(data)).toBe(true);
      expect((await decompress(CompressionType.Lz4, await kafkajsLz4.compress({ buffer: data }))).equals(data)).toBe(true);
    }
  });

  it('reads a reference liblz4 frame: linked blocks, block and content checksums, content size', async () => {
    // python3-lz4 4.0.2 (liblz4 1.9.4): lz4.frame.compress(data, block_size=BLOCKSIZE_MAX64KB,
    // block_linked=True, content_checksum=True, block_checksum=True, store_size=True).
    const golden = Buffer.from(
    'BCJNGFxA8EkCAAAAAADpBQIAAP/sAAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71AQgPFh0kKzI5QEdOVVxjanF4' +
    'f4aNlJuiqbC3vsXM09rh6O/2AgkQFx4lLDM6QUhPVl1ka3J5gIeOlZyjqrG4v8bN1Nvi6fD3AwoRGB8mLTQ7QklQV15lbHN6gYiP' +
    'lp2kq7K5wMfO1dzj6vH4BAsSGSAnLjU8Q0pRWF9mbXR7gomQl56lrLO6wcjP1t3k6/L5BQwTGiEoLzY9REtSWWBnbnV8g4qRmJ+m' +
    'rbS7wsnQ197l7PP6Bg0UGyIpMDc+RUxTWmFob3Z9hIuSmaCnrrW8w8rR2N/m7fT7AP//////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '/////+xQjJOaoag8C6vJCgEAAA/n////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '////////////////////////////////////////////////////////////////////////////////////////////////////' +
    '///////////////////////////////////////////////////////////////////////oUEBHTlVcU7lGpVQAAAAP+wD/////' +
    '/////////////////////////////////////////////////////////////////////////////////////////////yJQICcu' +
    'NTyvxWg3AAAAAGluJWw=',
      'base64',
    );
    const data = Buffer.alloc(150_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) % 251;
    expect(golden[4]).toBe(0x5c);
    expect((await decompress(CompressionType.Lz4, golden)).equals(data)).toBe(true);
    await expect(decompress(CompressionType.Lz4, golden, { maxBytes: data.length - 1 })).rejects.toBeInstanceOf(DecompressionLimitError);
    const badContentChecksum = Buffer.from(golden);
    badContentChecksum[golden.length - 1] = (badContentChecksum[golden.length - 1] as number) ^ 0xff;
    await expect(decompress(CompressionType.Lz4, badContentChecksum)).rejects.toBeInstanceOf(CorruptCompressedDataError);
  });

  it('reads concatenated and skippable frames', async () => {
    const a = sampleData(70_000, 1);
    const b = sampleData(500, 2);
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = Buffer.concat([lz4.compressFrameSync(a), skippable, lz4.compressFrameSync(b)]);
    expect((await decompress(CompressionType.Lz4, joined)).equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('refuses a declared content size over the limit before inflating', async () => {
    // FLG 0x68: version 01, independent blocks, content size present; BD 0x40 (64 KiB blocks).
    const frame = Buffer.alloc(4 + 2 + 8 + 1 + 4);
    frame.writeUInt32LE(0x184d2204, 0);
    frame[4] = 0x68;
    frame[5] = 0x40;
    frame.writeBigUInt64LE(2n ** 40n, 6);
    await expect(decompress(CompressionType.Lz4, frame)).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('rejects frames without an end mark, bad magic and bad header checksums', async () => {
    const framed = lz4.compressFrameSync(sampleData(1000));
    await expect(decompress(CompressionType.Lz4, framed.subarray(0, framed.length - 2))).rejects.toBeInstanceOf(
      CorruptCompressedDataError,
    );
    const badMagic = Buffer.from(framed);
    badMagic[0] = 0;
    await expect(decompress(CompressionType.Lz4, badMagic)).rejects.toBeInstanceOf(CorruptCompressedDataError);
    const badChecksum = Buffer.from(framed);
    badChecksum[6] = (badChecksum[6] as number) ^ 0xff;
    await expect(decompress(CompressionType.Lz4, badChecksum)).rejects.toBeInstanceOf(CorruptCompressedDataError);
  });
});

describe('zstd', () => {
  it('reads frames without a content size (zstd-jni streaming)', async () => {
    for (const data of [Buffer.alloc(0), sampleData(50), sampleData(2 * 1024 * 1024, 3)]) {
      const frame = zstdWithoutContentSize(data);
      expect(zstd.getFrameContentSize(frame)).toBeNull();
      expect((await decompress(CompressionType.Zstd, frame)).equals(data)).toBe(true);
      expect(decompressSync(CompressionType.Zstd, frame).equals(data)).toBe(true);
    }
  });

  it('reads concatenated frames, mixed with and without content size', async () => {
    const a = sampleData(10_000, 1);
    const b = sampleData(20_000, 2);
    const joined = Buffer.concat([compressSync(CompressionType.Zstd, a), zstdWithoutContentSize(b), compressSync(CompressionType.Zstd, a)]);
    expect((await decompress(CompressionType.Zstd, joined)).equals(Buffer.concat([a, b, a]))).toBe(true);
  });

  it('bounds streaming output and declared sizes', async () => {
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    await expect(decompress(CompressionType.Zstd, zstdWithoutContentSize(zeros), { maxBytes: 100_000 })).rejects.toBeInstanceOf(
      DecompressionLimitError,
    );
    await expect(decompress(CompressionType.Zstd, compressSync(CompressionType.Zstd, zeros), { maxBytes: 100_000 })).rejects.toBeInstanceOf(
      DecompressionLimitError,
    );
    const streamed = zstdWithoutContentSize(sampleData(300_000));
    expect((await decompress(CompressionType.Zstd, streamed, { maxBytes: 300_000 })).length).toBe(300_000);
    await expect(decompress(CompressionType.Zstd, streamed, { maxBytes: 299_999 })).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('rejects truncated streaming frames', async () => {
    const frame = zstdWithoutContentSize(sampleData(100_000, 5));
    await expect(decompress(CompressionType.Zstd, frame.subarray(0, frame.length - 3))).rejects.toBeInstanceOf(
      CorruptCompressedDataError,
    );
  });
});
