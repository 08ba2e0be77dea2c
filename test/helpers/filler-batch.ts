/**
 * A record batch (v2) with a valid header and CRC whose records section is
 * filler bytes: for storage tests and benchmarks, which move batches as
 * bytes and never decode their records.
 */
import { BATCH_HEADER_SIZE, writeCrc } from '../../src/protocol/record-batch.js';

export interface FillerBatchOptions {
  /** Records the header claims (lastOffsetDelta is one less). */
  records?: number;
  /** Filler: one byte value, or a seed for a pseudo-random 32-bit pattern. */
  fill?: { byte: number } | { seed: number };
}

export function fillerBatch(size: number, timestamp: number, opts: FillerBatchOptions = {}): Buffer {
  if (size < BATCH_HEADER_SIZE) throw new RangeError(`a batch is at least ${BATCH_HEADER_SIZE} bytes, asked for ${size}`);
  const records = opts.records ?? 1;
  const fill = opts.fill ?? { byte: 0 };
  const buf = Buffer.alloc(size, 'byte' in fill ? fill.byte & 0xff : 0);
  if ('seed' in fill) for (let i = BATCH_HEADER_SIZE; i + 4 <= size; i += 4) buf.writeUInt32BE((fill.seed * 2654435761 + i) >>> 0, i);
  buf.writeBigInt64BE(0n, 0); // base offset (assigned by the log)
  buf.writeInt32BE(size - 12, 8); // batch length
  buf.writeInt32BE(0, 12); // partition leader epoch
  buf.writeInt8(2, 16); // magic
  buf.writeInt16BE(0, 21); // attributes: no compression
  buf.writeInt32BE(records - 1, 23); // last offset delta
  buf.writeBigInt64BE(BigInt(timestamp), 27); // base timestamp
  buf.writeBigInt64BE(BigInt(timestamp), 35); // max timestamp
  buf.writeBigInt64BE(-1n, 43); // producer id
  buf.writeInt16BE(-1, 51); // producer epoch
  buf.writeInt32BE(-1, 53); // base sequence
  buf.writeInt32BE(records, 57); // record count
  writeCrc(buf, 0);
  return buf;
}
