/**
 * Record batches for the load generator, built once with Krill's own
 * builder (protocol/records.ts) and reused as bytes.
 *
 * Throughput runs send the same batch bytes over and over: the broker
 * assigns offsets by rewriting its copy of the header, so nothing in our
 * copy has to change. Latency runs need the send time in every record; a
 * TimestampedBatch remembers where each record's value sits so a send only
 * patches 8 bytes per record, the header timestamps and the CRC.
 *
 * Values are pseudo-random bytes (a fixed seed), so compression ratios are
 * those of incompressible data unless compression is asked for with
 * --compressible, where values repeat a short text.
 */
import { buildBatchSync, decodeBatchSync, type RecordInput } from '../protocol/records.js';
import { CompressionType, writeCrc } from '../protocol/record-batch.js';

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
 * An uncompressed batch whose records carry the send time (float64 epoch
 * microseconds) in the first 8 bytes of their values.
 */
export class TimestampedBatch {
  private readonly valuePositions: number[];

  constructor(readonly bytes: Buffer) {
    const decoded = decodeBatchSync(bytes);
    this.valuePositions = decoded.records.map((r) => {
      if (r.value === null || r.value.length < STAMP_BYTES) throw new Error('latency records need values of at least 8 bytes');
      return r.value.byteOffset - bytes.byteOffset;
    });
  }

  static build(recordBytes: number, records: number): TimestampedBatch {
    if (recordBytes < STAMP_BYTES) throw new RangeError(`latency records need at least ${STAMP_BYTES} bytes`);
    return new TimestampedBatch(buildStaticBatch({ recordBytes, records, compression: 'none' }));
  }

  get records(): number {
    return this.valuePositions.length;
  }

  /**
   * Writes the send time into `target` (a copy of this batch at `at`): every
   * record's stamp, baseTimestamp and maxTimestamp (ms), and the CRC.
   */
  stamp(target: Buffer, at: number, nowUs: number): void {
    for (const p of this.valuePositions) target.writeDoubleBE(nowUs, at + p);
    const ms = BigInt(Math.floor(nowUs / 1000));
    target.writeBigInt64BE(ms, at + 27);
    target.writeBigInt64BE(ms, at + 35);
    writeCrc(target, at);
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
