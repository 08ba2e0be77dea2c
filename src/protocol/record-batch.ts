/**
 * Record batch v2 header view. A batch stays bytes; this module reads and
 * edits header fields in place and checks the CRC-32C without touching records.
 *
 * Layout (big-endian), offsets from the start of the batch:
 *   0 baseOffset int64       8 batchLength int32 (bytes after this field)
 *  12 partitionLeaderEpoch   16 magic int8          17 crc uint32
 *  21 attributes int16       23 lastOffsetDelta     27 baseTimestamp int64
 *  35 maxTimestamp int64     43 producerId int64    51 producerEpoch int16
 *  53 baseSequence int32     57 recordCount int32   61 records...
 * The CRC covers bytes 21..end, so rewriting baseOffset, batchLength or
 * partitionLeaderEpoch never changes it.
 */
import { crc32c } from './crc32c.js';

export const BATCH_OVERHEAD = 12; // baseOffset + batchLength
export const BATCH_HEADER_SIZE = 61;
export const CRC_START = 21;

export const enum Attr {
  CompressionMask = 0x07,
  TimestampType = 0x08,
  Transactional = 0x10,
  Control = 0x20,
  DeleteHorizon = 0x40,
}

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Total size in bytes of the batch starting at pos (header fields only, no bounds check). */
export function batchSize(buf: Buffer, pos = 0): number {
  return BATCH_OVERHEAD + buf.readInt32BE(pos + 8);
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: buf.readBigInt64BE(pos),
    batchLength: buf.readInt32BE(pos + 8),
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic: buf.readInt8(pos + 16),
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: buf.readBigInt64BE(pos + 27),
    maxTimestamp: buf.readBigInt64BE(pos + 35),
    producerId: buf.readBigInt64BE(pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordCount: buf.readInt32BE(pos + 57),
  };
}

// Small field accessors for hot paths (no object allocation).
export const baseOffsetOf = (buf: Buffer, pos = 0): number => Number(buf.readBigInt64BE(pos));
export const lastOffsetDeltaOf = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 23);
export const magicOf = (buf: Buffer, pos = 0): number => buf.readInt8(pos + 16);
export const attributesOf = (buf: Buffer, pos = 0): number => buf.readInt16BE(pos + 21);
export const maxTimestampOf = (buf: Buffer, pos = 0): number => Number(buf.readBigInt64BE(pos + 35));
export const baseTimestampOf = (buf: Buffer, pos = 0): number => Number(buf.readBigInt64BE(pos + 27));
export const recordCountOf = (buf: Buffer, pos = 0): number => buf.readInt32BE(pos + 57);
export const compressionOf = (buf: Buffer, pos = 0): CompressionType =>
  (buf.readInt16BE(pos + 21) & Attr.CompressionMask) as CompressionType;

export function setBaseOffset(buf: Buffer, pos: number, offset: number | bigint): void {
  buf.writeBigInt64BE(BigInt(offset), pos);
}

export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + 12);
}

/** Sets maxTimestamp and the LogAppendTime attribute bit, then recomputes the CRC. */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: number): void {
  const attrs = buf.readInt16BE(pos + 21) | Attr.TimestampType;
  buf.writeInt16BE(attrs, pos + 21);
  buf.writeBigInt64BE(BigInt(timestampMs), pos + 35);
  writeCrc(buf, pos);
}

export function computeCrc(buf: Buffer, pos = 0): number {
  return crc32c(buf, pos + CRC_START, pos + batchSize(buf, pos));
}

export function writeCrc(buf: Buffer, pos = 0): void {
  buf.writeUInt32BE(computeCrc(buf, pos), pos + 17);
}

export function crcMatches(buf: Buffer, pos = 0): boolean {
  return buf.readUInt32BE(pos + 17) === computeCrc(buf, pos);
}

export type BatchProblem =
  | 'truncated'
  | 'bad-length'
  | 'bad-magic'
  | 'bad-crc'
  | 'bad-count';

/**
 * Checks the batch at pos: enough bytes for the header and declared length,
 * magic 2, CRC-32C, record count consistent with lastOffsetDelta.
 * Returns null when the batch is sound, else what is wrong.
 */
export function checkBatch(buf: Buffer, pos = 0, end = buf.length): BatchProblem | null {
  if (end - pos < BATCH_HEADER_SIZE) return 'truncated';
  const len = buf.readInt32BE(pos + 8);
  if (len < BATCH_HEADER_SIZE - BATCH_OVERHEAD) return 'bad-length';
  if (pos + BATCH_OVERHEAD + len > end) return 'truncated';
  if (buf.readInt8(pos + 16) !== 2) return 'bad-magic';
  const count = buf.readInt32BE(pos + 57);
  const lastDelta = buf.readInt32BE(pos + 23);
  if (count < 0 || lastDelta < 0) return 'bad-count';
  // Compaction may leave fewer records than lastOffsetDelta+1, never more.
  if (count > lastDelta + 1) return 'bad-count';
  if (!crcMatches(buf, pos)) return 'bad-crc';
  return null;
}

/**
 * Iterates the batches in a buffer holding consecutive batches; yields
 * [start, size]. Stops (without throwing) at a trailing partial batch,
 * as a fetch response may legally end with one.
 */
export function* batchPositions(buf: Buffer, start = 0, end = buf.length): Generator<[number, number]> {
  let pos = start;
  while (end - pos >= BATCH_OVERHEAD) {
    const size = BATCH_OVERHEAD + buf.readInt32BE(pos + 8);
    if (size < BATCH_HEADER_SIZE || pos + size > end) return;
    yield [pos, size];
    pos += size;
  }
}
