/**
 * The shape every compression module implements, plus the decompression
 * limit shared by all of them.
 */
import { DecompressionLimitError } from '../record-errors.js';

/** Default ceiling on decompressed bytes: a guard against compression bombs. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

export interface Codec {
  readonly name: string;
  /** level is honoured by gzip and zstd and ignored by snappy and lz4. */
  compress(data: Buffer, level?: number): Promise<Buffer>;
  compressSync(data: Buffer, level?: number): Buffer;
  /** Throws DecompressionLimitError past maxBytes, CorruptCompressedDataError on bad input. */
  decompress(data: Buffer, maxBytes: number): Promise<Buffer>;
  decompressSync(data: Buffer, maxBytes: number): Buffer;
}

export const EMPTY = Buffer.alloc(0);

/** Throws when size is over the limit; `what` says whether size is exact or a bound. */
export function checkLimit(codec: string, size: number, maxBytes: number, what = 'decompressed size'): void {
  if (size > maxBytes) throw new DecompressionLimitError(codec, maxBytes, `${what} ${size}`);
}

/** Concatenates chunks whose total length is already known. */
export function joinChunks(chunks: readonly Buffer[], total: number): Buffer {
  if (chunks.length === 1) return chunks[0] as Buffer;
  return Buffer.concat(chunks, total);
}
