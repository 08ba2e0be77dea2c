/**
 * Compression codecs of record batch v2 (the low three bits of the batch
 * attributes): none, gzip, snappy (xerial framing), lz4 (LZ4 frame) and zstd.
 * compress/decompress operate on the records section of a batch only.
 *
 * Decompression is bounded: output past maxBytes (default 256 MiB) throws
 * DecompressionLimitError, checked before inflating where the format says how
 * big the result will be (snappy, lz4, zstd with content size) and while
 * inflating otherwise (gzip, zstd streaming). Bad input throws
 * CorruptCompressedDataError; a type with no codec, UnsupportedCompressionError.
 */
import { constants } from 'node:buffer';
import { CompressionType } from '../record-batch.js';
import { UnsupportedCompressionError } from '../record-errors.js';
import { checkLimit, DEFAULT_MAX_DECOMPRESSED_BYTES, type Codec } from './codec.js';
import { gzipCodec } from './gzip.js';
import { lz4Codec } from './lz4.js';
import { snappyCodec } from './snappy.js';
import { zstdCodec } from './zstd.js';

export { CompressionType } from '../record-batch.js';
export { DEFAULT_MAX_DECOMPRESSED_BYTES, type Codec } from './codec.js';

export interface CompressOptions {
  /** Codec level: gzip 1..9 (default 6), zstd 1..22 (default 3). Ignored by snappy and lz4. */
  level?: number;
}

export interface DecompressOptions {
  /** Largest decompressed size accepted, in bytes. Default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxBytes?: number;
}

const codecs: ReadonlyMap<number, Codec> = new Map<number, Codec>([
  [CompressionType.Gzip, gzipCodec],
  [CompressionType.Snappy, snappyCodec],
  [CompressionType.Lz4, lz4Codec],
  [CompressionType.Zstd, zstdCodec],
]);

/** The codec for a compression type; throws UnsupportedCompressionError for none and 5..7. */
export function codecFor(type: CompressionType): Codec {
  const codec = codecs.get(type);
  if (codec === undefined) throw new UnsupportedCompressionError(type);
  return codec;
}

function maxBytesOf(options: DecompressOptions | undefined): number {
  const maxBytes = options?.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
  return Math.min(maxBytes, constants.MAX_LENGTH);
}

export async function compress(type: CompressionType, data: Buffer, options?: CompressOptions): Promise<Buffer> {
  if (type === CompressionType.None) return data;
  return codecFor(type).compress(data, options?.level);
}

export function compressSync(type: CompressionType, data: Buffer, options?: CompressOptions): Buffer {
  if (type === CompressionType.None) return data;
  return codecFor(type).compressSync(data, options?.level);
}

export async function decompress(type: CompressionType, data: Buffer, options?: DecompressOptions): Promise<Buffer> {
  const maxBytes = maxBytesOf(options);
  if (type === CompressionType.None) {
    checkLimit('none', data.length, maxBytes);
    return data;
  }
  return codecFor(type).decompress(data, maxBytes);
}

export function decompressSync(type: CompressionType, data: Buffer, options?: DecompressOptions): Buffer {
  const maxBytes = maxBytesOf(options);
  if (type === CompressionType.None) {
    checkLimit('none', data.length, maxBytes);
    return data;
  }
  return codecFor(type).decompressSync(data, maxBytes);
}
