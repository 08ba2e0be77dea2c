/**
 * Record batches for the load generator, built once with Krill's own
 * builder (protocol/records.ts) and reused as bytes.
 *
 * Throughput runs send the same batch bytes over and over: the broker
 * assigns offsets by rewriting its copy of the header, so nothing in our
 * copy has to change. Latency runs need the creation time in every record;
 * a StampedBatch remembers where each record and value sits, so a send
 * copies a prefix of its records and patches 8 bytes per record, a few
 * header fields and the CRC.
 *
 * Values are pseudo-random bytes (a fixed seed), so compression ratios are
 * those of incompressible data unless compression is asked for with
 * --compressible, where values repeat a short text.
 */
import { buildBatchSync, decodeBatchSync, type RecordInput } from '../protocol/records.js';
import { BATCH_HEADER_SIZE, BATCH_OVERHEAD, CompressionType, writeCrc } from '../protocol/record-batch.js';
import { readVarint } from '../protocol/varint.js';

import type { CompressionName } from './config.js';

export type { CompressionName };

const CODECS: Record<CompressionName, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** Bytes of the send-time stamp at the start of a latency record's value. */
export const STAMP_BYTES = 8;

/** Deterministic filler: xorshift32 bytes, or repeated text when compressible. */
export function fillValue(size: number, seed: number, compressible: boolean): Buffer {
  const out = Buffer.allocUnsafe(size);
  if (compressible) {
    const text = Buffer.from(`krill benchmark record ${seed} `, 'utf8');
    for (let i = 0; i < size; i++) out[i] = text[i % text.length];
    return out;
  }
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export interface BatchOptions {
  recordBytes: number;
  records: number;
  compression: CompressionName;
  compressible?: boolean;
  /** Record timestamps (ms); the build time when omitted. */
  timestampMs?: number;
  seed?: number;
}

/** A finished batch: identical bytes may be sent any number of times. */
export function buildStaticBatch(opts: BatchOptions): Buffer {
  const seed = opts.seed ?? 1;
  const records: RecordInput[] = [];
  for (let i = 0; i < opts.records; i++) {
    records.push({ key: null, value: fillValue(opts.recordBytes, seed + i, opts.compressible ?? false) });
  }
  return buildBatchSync({
    records,
    compression: CODECS[opts.compression],
    defaultTimestamp: opts.timestampMs ?? Date.now(),
  });
}

/**
 * An uncompressed batch of up to `records` records whose values start with
 * a send time (float64 epoch microseconds). Any prefix of its records is a
 * valid batch once the header says so (records carry offset deltas 0, 1,
 * ...), so one template serves every batch size: writePrefix copies the
 * first n records and patches length, lastOffsetDelta, record count,
 * timestamps, the stamps and the CRC.
 */
export class StampedBatch {
  /** Byte position (in the template) where each record's value starts. */
  private readonly valuePositions: number[];
  /** Byte position (in the template) after each record. */
  private readonly recordEnds: number[];

  constructor(readonly template: Buffer) {
    const decoded = decodeBatchSync(template);
    this.valuePositions = decoded.records.map((r) => {
      if (r.value === null || r.value.length < STAMP_BYTES) throw new Error('latency records need values of at least 8 bytes');
      return r.value.byteOffset - template.byteOffset;
    });
    this.recordEnds = [];
    const c = { buf: template, pos: BATCH_HEADER_SIZE, end: template.length };
    for (let i = 0; i < decoded.records.length; i++) {
      const length = readVarint(c);
      c.pos += length;
      this.recordEnds.push(c.pos);
    }
  }

  static build(recordBytes: number, records: number): StampedBatch {
    if (recordBytes < STAMP_BYTES) throw new RangeError(`latency records need at least ${STAMP_BYTES} bytes`);
    return new StampedBatch(buildStaticBatch({ recordBytes, records, compression: 'none' }));
  }

  get maxRecords(): number {
    return this.recordEnds.length;
  }

  /** Size in bytes of a batch of the first n records. */
  sizeOf(n: number): number {
    return this.recordEnds[n - 1];
  }

  /**
   * Writes a batch of the first n records into target at `at`, record k
   * stamped firstUs + k * stepUs. Returns the batch size.
   */
  writePrefix(target: Buffer, at: number, n: number, firstUs: number, stepUs: number): number {
    const size = this.sizeOf(n);
    this.template.copy(target, at, 0, size);
    for (let k = 0; k < n; k++) target.writeDoubleBE(firstUs + k * stepUs, at + this.valuePositions[k]);
    target.writeInt32BE(size - BATCH_OVERHEAD, at + 8);
    target.writeInt32BE(n - 1, at + 23);
    target.writeBigInt64BE(BigInt(Math.floor(firstUs / 1000)), at + 27);
    target.writeBigInt64BE(BigInt(Math.floor((firstUs + (n - 1) * stepUs) / 1000)), at + 35);
    target.writeInt32BE(n, at + 57);
    writeCrc(target, at);
    return size;
  }
}

/** Epoch time in microseconds with sub-millisecond resolution, comparable across processes. */
export function epochMicros(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** Records that fit a batch of about batchBytes (at least one). */
export function recordsPerBatch(batchBytes: number, recordBytes: number): number {
  // Each record adds about 8 bytes of framing (length, attributes, deltas, key, value length, headers).
  return Math.max(1, Math.floor((batchBytes - 61) / (recordBytes + 8)));
}
