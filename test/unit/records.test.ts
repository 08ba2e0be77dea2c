import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompressionType } from '../../src/protocol/compression/index.js';
import {
  ControlRecordType,
  decodeEndTxnMarker,
  endTxnMarkerRecord,
} from '../../src/protocol/control-records.js';
import { checkBatch, writeCrc } from '../../src/protocol/record-batch.js';
import { CorruptRecordError, RecordError, UnsupportedCompressionError } from '../../src/protocol/record-errors.js';
import {
  buildBatch,
  buildBatchSync,
  decodeBatch,
  decodeBatchSync,
  type DecodedRecord,
  type RecordInput,
} from '../../src/protocol/records.js';
import { readVarint, readVarlong, varintSize, varlongSize, writeVarint, writeVarlong } from '../../src/protocol/varint.js';

const require = createRequire(import.meta.url);

// ---- kafkajs internals (CommonJS, untyped): just the shapes used here.
interface JsLong {
  toString(): string;
}
interface JsEncoder {
  buffer: Buffer;
}
interface JsRecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | Buffer[]>;
}
interface JsBatchInput {
  compression?: number;
  firstOffset?: JsLong;
  firstTimestamp?: number;
  maxTimestamp?: number;
  partitionLeaderEpoch?: number;
  lastOffsetDelta?: number;
  transactional?: boolean;
  producerId?: JsLong;
  producerEpoch?: number;
  firstSequence?: number;
  records: JsEncoder[];
}
interface JsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | Array<Buffer | null>>;
  isControlRecord: boolean;
}
interface JsDecodedBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  records: JsDecodedRecord[];
}

const kafkajs = require('kafkajs') as { CompressionCodecs: Record<number, () => unknown> };
const Long = require('kafkajs/src/utils/long') as { fromString(s: string): JsLong; fromNumber(n: number): JsLong };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (input: JsBatchInput) => Promise<JsEncoder>;
};
const JsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (input: JsRecordInput) => JsEncoder;
const JsDecoder = require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => unknown;
const jsDecodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<JsDecodedBatch>;
const SnappyCodec = require('kafkajs-snappy') as () => unknown;
const Lz4Codec = require('@2l/kafkajs-lz4') as new () => { codec: () => unknown };
kafkajs.CompressionCodecs[CompressionType.Snappy] = SnappyCodec;
kafkajs.CompressionCodecs[CompressionType.Lz4] = new Lz4Codec().codec;

const JS_CODECS = [
  ['none', CompressionType.None],
  ['gzip', CompressionType.Gzip],
  ['snappy', CompressionType.Snappy],
  ['lz4', CompressionType.Lz4],
] as const;
const ALL_CODECS = [...JS_CODECS, ['zstd', CompressionType.Zstd]] as const;

// ---- generators

const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const nullableBytes = (max: number): fc.Arbitrary<Buffer | null> => fc.option(bytes(max), { nil: null });
const T0 = 1_700_000_000_000;

const recordWithHeaderKeys = (headerKey: fc.Arbitrary<string>): fc.Arbitrary<RecordInput> =>
  fc.record({
    key: nullableBytes(40),
    value: nullableBytes(300),
    headers: fc.array(fc.record({ key: headerKey, value: nullableBytes(20) }), { maxLength: 4 }),
    timestamp: fc.integer({ min: T0 - 100_000, max: T0 + 100_000 }),
  });
const recordArb = recordWithHeaderKeys(fc.string({ maxLength: 12 }));
/** kafkajs folds headers into a plain object and misreads keys such as "valueOf" or "__proto__". */
const kafkajsSafeRecordArb = recordWithHeaderKeys(fc.string({ maxLength: 12 }).filter((k) => !(k in Object.prototype)));

/** Buffer equality without vitest's element-by-element deep compare (slow on megabytes). */
function expectBytes(actual: Buffer | null | undefined, expected: Buffer | string | null | undefined): void {
  const want = expected === undefined || expected === null ? null : Buffer.from(expected);
  if (want === null || actual === null || actual === undefined) expect(actual ?? null).toBe(want);
  else expect(actual.equals(want), `bytes differ (${actual.length} vs ${want.length})`).toBe(true);
}

function expectSameRecords(decoded: DecodedRecord[], inputs: readonly RecordInput[], baseOffset: number): void {
  expect(decoded).toHaveLength(inputs.length);
  decoded.forEach((r, i) => {
    const input = inputs[i] as RecordInput;
    expect(r.offset).toBe(baseOffset + i);
    expect(r.offsetDelta).toBe(i);
    expect(r.timestamp).toBe(input.timestamp);
    expectBytes(r.key, input.key);
    expectBytes(r.value, input.value);
    expect(r.headers).toEqual((input.headers ?? []).map((h) => ({ key: h.key, value: h.value })));
  });
}

/** kafkajs folds headers into an object, duplicates into arrays. */
function foldHeaders(headers: readonly { key: string; value: Buffer | null }[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of headers) {
    const prev = Object.hasOwn(out, key) ? out[key] : undefined;
    const next = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    // defineProperty, so a "__proto__" header key stays an own property as in kafkajs.
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

async function kafkajsDecode(batch: Buffer): Promise<JsDecodedBatch> {
  return jsDecodeBatch(new JsDecoder(batch));
}

// ---- tests

describe('varint and varlong', () => {
  it('match the known zigzag encodings', () => {
    const cases: Array<[number, number[]]> = [
      [0, [0x00]],
      [-1, [0x01]],
      [1, [0x02]],
      [63, [0x7e]],
      [-64, [0x7f]],
      [64, [0x80, 0x01]],
      [300, [0xd8, 0x04]],
      [2147483647, [0xfe, 0xff, 0xff, 0xff, 0x0f]],
      [-2147483648, [0xff, 0xff, 0xff, 0xff, 0x0f]],
    ];
    for (const [value, encoded] of cases) {
      const buf = Buffer.alloc(varintSize(value));
      expect(writeVarint(buf, 0, value)).toBe(encoded.length);
      expect([...buf]).toEqual(encoded);
      expect(readVarint({ buf, pos: 0, end: buf.length })).toBe(value);
    }
  });

  it('round-trip every int32 and supported int64', () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
        const buf = Buffer.alloc(varintSize(v));
        writeVarint(buf, 0, v);
        const c = { buf, pos: 0, end: buf.length };
        expect(readVarint(c)).toBe(v);
        expect(c.pos).toBe(buf.length);
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 52), max: 2 ** 52 - 1 }), (v) => {
        const buf = Buffer.alloc(varlongSize(v));
        writeVarlong(buf, 0, v);
        expect(readVarlong({ buf, pos: 0, end: buf.length })).toBe(v);
      }),
    );
  });

  it('reject truncated, overlong and out-of-range encodings', () => {
    const read = (bytes: number[], long = false): number => {
      const buf = Buffer.from(bytes);
      return long ? readVarlong({ buf, pos: 0, end: buf.length }) : readVarint({ buf, pos: 0, end: buf.length });
    };
    expect(() => read([0x80])).toThrow(CorruptRecordError);
    expect(() => read([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])).toThrow(CorruptRecordError);
    expect(() => read([0xff, 0xff, 0xff, 0xff, 0x1f])).toThrow(CorruptRecordError);
    expect(() => read(new Array<number>(10).fill(0xff).concat([0x01]), true)).toThrow(CorruptRecordError);
    expect(() => read([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], true)).toThrow(CorruptRecordError);
  });
});

describe.each(ALL_CODECS)('buildBatch/decodeBatch round trip (%s)', (_name, compression) => {
  it('round-trips arbitrary records', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(recordArb, { minLength: 1, maxLength: 20 }), fc.nat(1_000_000), async (records, baseOffset) => {
        const batch = await buildBatch({ baseOffset, records, compression });
        expect(checkBatch(batch)).toBeNull();
        const { header, records: decoded } = await decodeBatch(batch);
        expect(header.baseOffset).toBe(BigInt(baseOffset));
        expect(header.recordCount).toBe(records.length);
        expect(header.lastOffsetDelta).toBe(records.length - 1);
        expect(header.attributes & 0x07).toBe(compression);
        expect(Number(header.baseTimestamp)).toBe(records[0]?.timestamp);
        expect(Number(header.maxTimestamp)).toBe(Math.max(...records.map((r) => r.timestamp as number)));
        expectSameRecords(decoded, records, baseOffset);
        const sync = buildBatchSync({ baseOffset, records, compression });
        expect(checkBatch(sync)).toBeNull();
        expectSameRecords(decodeBatchSync(sync).records, records, baseOffset);
      }),
      { numRuns: 40 },
    );
  });

  it('round-trips a batch with multi-megabyte values', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
    const records = [{ key: 'a', value: big, timestamp: T0 }, { key: 'b', value: big.subarray(0, 1_000_000), timestamp: T0 + 1 }];
    const batch = await buildBatch({ records, compression });
    expectSameRecords((await decodeBatch(batch)).records, records, 0);
  });
});

describe('batch header fields', () => {
  it('writes producer, epoch, sequence, flags and defaults', async () => {
    const batch = await buildBatch({
      baseOffset: 42n,
      records: [{ value: 'a', timestamp: 5 }, { value: 'b', timestamp: 3 }],
      producerId: 7000n,
      producerEpoch: 3,
      baseSequence: 11,
      transactional: true,
      partitionLeaderEpoch: 9,
    });
    const { header } = await decodeBatch(batch);
    expect(header).toMatchObject({
      baseOffset: 42n,
      partitionLeaderEpoch: 9,
      magic: 2,
      lastOffsetDelta: 1,
      baseTimestamp: 5n,
      maxTimestamp: 5n,
      producerId: 7000n,
      producerEpoch: 3,
      baseSequence: 11,
      recordCount: 2,
    });
    expect(header.attributes).toBe(0x10);
    const plain = (await decodeBatch(await buildBatch({ records: [{ value: 'x' }] }))).header;
    expect(plain).toMatchObject({ producerId: -1n, producerEpoch: -1, baseSequence: -1, partitionLeaderEpoch: -1, baseTimestamp: -1n });
  });

  it('uses maxTimestamp for every record under LogAppendTime', async () => {
    const batch = await buildBatch({ timestampType: 'logAppend', records: [{ value: 'a', timestamp: 10 }, { value: 'b', timestamp: 30 }] });
    const { header, records } = await decodeBatch(batch);
    expect(header.attributes & 0x08).toBe(0x08);
    expect(records.map((r) => r.timestamp)).toEqual([30, 30]);
  });

  it('keeps explicit offset deltas with gaps and a larger lastOffsetDelta', async () => {
    const batch = await buildBatch({ baseOffset: 100, lastOffsetDelta: 9, records: [{ value: 'a', offsetDelta: 2 }, { value: 'b', offsetDelta: 5 }] });
    expect(checkBatch(batch)).toBeNull();
    const { header, records } = await decodeBatch(batch);
    expect(header.lastOffsetDelta).toBe(9);
    expect(records.map((r) => r.offset)).toEqual([102, 105]);
  });

  it('builds an empty batch', async () => {
    const batch = buildBatchSync({ records: [], defaultTimestamp: 77 });
    expect(checkBatch(batch)).toBeNull();
    const { header, records } = decodeBatchSync(batch);
    expect(records).toEqual([]);
    expect(header.maxTimestamp).toBe(77n);
  });

  it('refuses bad builder input', async () => {
    await expect(buildBatch({ records: [{ offsetDelta: 1 }, { offsetDelta: 1 }] })).rejects.toBeInstanceOf(RangeError);
    await expect(buildBatch({ records: [{ offsetDelta: 3 }], lastOffsetDelta: 2 })).rejects.toBeInstanceOf(RangeError);
    await expect(buildBatch({ records: [{}], compression: 6 as CompressionType })).rejects.toBeInstanceOf(UnsupportedCompressionError);
  });
});

describe('control batches', () => {
  it('decodes commit and abort markers, and kafkajs sees a control batch', async () => {
    for (const type of [ControlRecordType.Commit, ControlRecordType.Abort] as const) {
      const batch = await buildBatch({
        control: true,
        transactional: true,
        producerId: 12n,
        producerEpoch: 1,
        records: [{ ...endTxnMarkerRecord(type, 5), timestamp: T0 }],
      });
      expect(checkBatch(batch)).toBeNull();
      const { header, records } = await decodeBatch(batch);
      expect(header.attributes & 0x30).toBe(0x30);
      expect(records[0]?.control).toEqual({ version: 0, type });
      expect(decodeEndTxnMarker(records[0]?.value ?? null)).toEqual({ version: 0, coordinatorEpoch: 5 });
      const js = await kafkajsDecode(batch);
      expect(js.isControlBatch).toBe(true);
      expect(js.inTransaction).toBe(true);
      expect(js.records[0]?.isControlRecord).toBe(true);
    }
  });

  it('rejects a control record whose key is too short', async () => {
    const batch = await buildBatch({ control: true, records: [{ key: Buffer.from([0, 0]), value: null }] });
    await expect(decodeBatch(batch)).rejects.toBeInstanceOf(CorruptRecordError);
  });
});

describe('CRC-32C', () => {
  it('flipping any byte after offset 21 makes checkBatch report bad-crc', async () => {
    const batch = await buildBatch({ records: [{ key: 'k', value: 'value', headers: [{ key: 'h', value: 'v' }], timestamp: T0 }, { value: 'two', timestamp: T0 + 5 }] });
    expect(checkBatch(batch)).toBeNull();
    for (let pos = 21; pos < batch.length; pos++) {
      const bad = Buffer.from(batch);
      bad[pos] = (bad[pos] as number) ^ 0x01;
      // checkBatch looks at lastOffsetDelta and recordCount before the CRC, so a flip there may read as bad-count.
      const countField = (pos >= 23 && pos < 27) || (pos >= 57 && pos < 61);
      const problem = checkBatch(bad);
      if (countField) expect(['bad-crc', 'bad-count'], `byte ${pos}`).toContain(problem);
      else expect(problem, `byte ${pos}`).toBe('bad-crc');
      await expect(decodeBatch(bad)).rejects.toBeInstanceOf(CorruptRecordError);
    }
  });

  it('flipping the CRC-covered payload is caught for random positions and masks', async () => {
    const batch = await buildBatch({ records: [{ value: 'abcdefgh', timestamp: T0 }], compression: CompressionType.Gzip });
    fc.assert(
      fc.property(fc.integer({ min: 61, max: batch.length - 1 }), fc.integer({ min: 1, max: 255 }), (pos, mask) => {
        const bad = Buffer.from(batch);
        bad[pos] = (bad[pos] as number) ^ mask;
        expect(checkBatch(bad)).toBe('bad-crc');
      }),
    );
  });

  it('agrees with kafkajs CRC (batches from each side pass the other CRC check)', async () => {
    const ours = await buildBatch({ records: [{ value: 'x', timestamp: T0 }] });
    const theirs = (await RecordBatch({ records: [JsRecord({ key: null, value: Buffer.from('x') })], firstTimestamp: T0, maxTimestamp: T0 })).buffer;
    expect(checkBatch(ours)).toBeNull();
    expect(checkBatch(theirs)).toBeNull();
  });

  it('decodes despite a bad CRC when verifyCrc is false', async () => {
    const batch = await buildBatch({ records: [{ value: 'x', timestamp: T0 }] });
    batch[17] = (batch[17] as number) ^ 0xff;
    await expect(decodeBatch(batch)).rejects.toBeInstanceOf(CorruptRecordError);
    expect((await decodeBatch(batch, { verifyCrc: false })).records).toHaveLength(1);
  });
});

describe.each(JS_CODECS)('kafkajs interop (%s)', (_name, compression) => {
  const jsRecordsArb = fc.array(
    fc.record({
      key: nullableBytes(30),
      value: nullableBytes(200),
      headers: fc.array(fc.record({ key: fc.constantFrom('h-a', 'h-b', 'trace'), value: bytes(10) }), { maxLength: 3 }),
      timestampDelta: fc.integer({ min: -1000, max: 100_000 }),
    }),
    { minLength: 1, maxLength: 15 },
  );

  it('decodes batches encoded by kafkajs', async () => {
    await fc.assert(
      fc.asyncProperty(jsRecordsArb, fc.nat(2 ** 40), async (records, baseOffset) => {
        const encoded = await RecordBatch({
          compression,
          firstOffset: Long.fromString(String(baseOffset)),
          firstTimestamp: T0,
          maxTimestamp: T0 + Math.max(...records.map((r) => r.timestampDelta)),
          lastOffsetDelta: records.length - 1,
          producerId: Long.fromString('99'),
          producerEpoch: 2,
          firstSequence: 40,
          records: records.map((r, i) =>
            JsRecord({ offsetDelta: i, timestampDelta: r.timestampDelta, key: r.key, value: r.value, headers: foldHeaders(r.headers) as Record<string, Buffer | Buffer[]> }),
          ),
        });
        const batch = encoded.buffer;
        expect(checkBatch(batch)).toBeNull();
        const { header, records: decoded } = await decodeBatch(batch);
        expect(header).toMatchObject({ baseOffset: BigInt(baseOffset), producerId: 99n, producerEpoch: 2, baseSequence: 40 });
        expect(decoded).toHaveLength(records.length);
        decoded.forEach((r, i) => {
          const src = records[i] as (typeof records)[number];
          expect(r.offset).toBe(baseOffset + i);
          expect(r.timestamp).toBe(T0 + src.timestampDelta);
          expect(r.key).toEqual(src.key);
          expect(r.value).toEqual(src.value);
          expect(foldHeaders(r.headers)).toEqual(foldHeaders(src.headers));
        });
      }),
      { numRuns: 30 },
    );
  });

  it('produces batches kafkajs decodes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(kafkajsSafeRecordArb, { minLength: 1, maxLength: 15 }), fc.nat(2 ** 40), async (records, baseOffset) => {
        const batch = await buildBatch({ baseOffset, records, compression, producerId: 5n, producerEpoch: 1, baseSequence: 3 });
        const js = await kafkajsDecode(batch);
        expect(js.firstOffset).toBe(String(baseOffset));
        expect(js.lastOffsetDelta).toBe(records.length - 1);
        expect([js.producerId, js.producerEpoch, js.firstSequence]).toEqual(['5', 1, 3]);
        expect(js.records).toHaveLength(records.length);
        js.records.forEach((r, i) => {
          const src = records[i] as RecordInput;
          expect(r.offset).toBe(String(baseOffset + i));
          expect(r.timestamp).toBe(String(src.timestamp));
          expect(r.key).toEqual(src.key);
          expect(r.value).toEqual(src.value);
          expect(r.headers).toEqual(foldHeaders((src.headers ?? []) as { key: string; value: Buffer | null }[]));
        });
      }),
      { numRuns: 30 },
    );
  });
});

describe('malformed input', () => {
  /** A batch whose records section is `section` verbatim, with a valid CRC. */
  function withSection(section: Buffer, recordCount: number, attributes = 0): Buffer {
    const template = buildBatchSync({ records: [] });
    const batch = Buffer.concat([template, section]);
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt16BE(attributes, 21);
    batch.writeInt32BE(Math.max(0, recordCount - 1), 23);
    batch.writeInt32BE(recordCount, 57);
    writeCrc(batch, 0);
    return batch;
  }

  const expectCorrupt = async (batch: Buffer): Promise<void> => {
    await expect(decodeBatch(batch)).rejects.toBeInstanceOf(CorruptRecordError);
    expect(() => decodeBatchSync(batch)).toThrow(CorruptRecordError);
  };

  it('rejects every truncation of a batch', async () => {
    const batch = await buildBatch({ records: [{ key: 'k', value: 'v', headers: [{ key: 'a', value: 'b' }], timestamp: T0 }] });
    for (let len = 0; len < batch.length; len++) await expectCorrupt(batch.subarray(0, len));
  });

  it('rejects a record count the bytes cannot hold, without allocating for it', async () => {
    const good = await buildBatch({ records: [{ value: 'v', timestamp: T0 }] });
    for (const count of [0x7fffffff, 1000, 2, -1]) {
      const bad = Buffer.from(good);
      bad.writeInt32BE(count, 57);
      writeCrc(bad, 0);
      await expectCorrupt(bad);
    }
    const zero = Buffer.from(good);
    zero.writeInt32BE(0, 57);
    writeCrc(zero, 0);
    await expectCorrupt(zero); // the record's bytes are left over
  });

  it('rejects huge or negative varint lengths and counts', async () => {
    const huge = [0xfe, 0xff, 0xff, 0xff, 0x0f]; // varint 2^31 - 1
    // Record fields are zigzag varints: 0x0c is length 6, 0x01 is -1 (null), 0x02 is 1.
    const cases: number[][] = [
      [...huge, 0, 0, 0, 1, 1, 0], // record length
      [0x14, 0, 0, 0, ...huge, 1, 0], // key length
      [0x14, 0, 0, 0, 1, ...huge, 0], // value length
      [0x14, 0, 0, 0, 1, 1, ...huge], // header count
      [0x0c, 0, 0, 0, 1, 1, 0x01], // header count -1
      [0x0c, 0, 0, 0, 0x03, 1, 0], // key length -2
      [0x10, 0, 0, 0, 1, 1, 0x02, 0x01, 0x01], // null header key
      [0x16, 0, 0, 0, 1, 1, 0x02, ...huge], // header key length
      [0x10, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80], // varlong running past the record
      [0x02, 0], // record length below the minimum
      [0x10, 0, 0, 0, 1, 1, 0, 7, 7], // declared length larger than the fields
      [0x0c, 0, 0, 0, 1, 1, 0, 9], // trailing byte after the last record
    ];
    for (const section of cases) await expectCorrupt(withSection(Buffer.from(section), 1));
    // Sanity: the minimal record those cases start from is valid.
    expect((await decodeBatch(withSection(Buffer.from([0x0c, 0, 0, 0, 1, 1, 0]), 1))).records[0]).toMatchObject({ key: null, value: null, headers: [] });
  });

  it('rejects wrong magic, bad length and unsupported compression with typed errors', async () => {
    const good = await buildBatch({ records: [{ value: 'v', timestamp: T0 }] });
    const magic = Buffer.from(good);
    magic[16] = 1;
    await expectCorrupt(magic);
    const length = Buffer.from(good);
    length.writeInt32BE(good.length, 8);
    await expectCorrupt(length);
    const codec = Buffer.from(good);
    codec.writeInt16BE(6, 21);
    writeCrc(codec, 0);
    await expect(decodeBatch(codec)).rejects.toBeInstanceOf(UnsupportedCompressionError);
  });

  it('only throws typed errors for random corruption (CRC fixed up), for every codec', async () => {
    for (const [, compression] of ALL_CODECS) {
      const batch = await buildBatch({
        compression,
        records: [{ key: 'key', value: 'a value', headers: [{ key: 'h', value: 'v' }], timestamp: T0 }, { value: null, timestamp: T0 + 1 }],
      });
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.integer({ min: 21, max: batch.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }),
          async (flips) => {
            const bad = Buffer.from(batch);
            for (const [pos, mask] of flips) bad[pos] = (bad[pos] as number) ^ mask;
            writeCrc(bad, 0);
            try {
              await decodeBatch(bad);
            } catch (err) {
              expect(err).toBeInstanceOf(RecordError);
            }
          },
        ),
        { numRuns: 150 },
      );
    }
  });

  it('rejects a compressed section that inflates past maxBytes', async () => {
    const batch = await buildBatch({ compression: CompressionType.Zstd, records: [{ value: Buffer.alloc(1_000_000), timestamp: T0 }] });
    await expect(decodeBatch(batch, { maxBytes: 100_000 })).rejects.toBeInstanceOf(RecordError);
    expect((await decodeBatch(batch)).records[0]?.value?.length).toBe(1_000_000);
  });
});
