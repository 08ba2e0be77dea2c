/**
 * zstd (compression type 4) through zstd-napi's native binding. Compression
 * uses zstd's default level (3, Kafka's default) unless a level is given and
 * records the content size in the frame. Java clients stream through
 * zstd-jni and write frames without a content size, so decompression has two
 * paths: when every frame declares its size, one exact allocation and a
 * single-shot decode; otherwise a streaming decode into growing chunks that
 * stops as soon as the output passes maxBytes. Windows above zstd's default
 * limit (2^27 bytes, as in zstd-jni) are refused as over the limit.
 *
 * zstd-napi's own decompress() allocates whatever the frame header claims,
 * with no limit; that is why this module drives a DCtx itself.
 */
import { createRequire } from 'node:module';
import type * as ZstdBinding from 'zstd-napi/binding.js';
import { CorruptCompressedDataError, DecompressionLimitError } from '../record-errors.js';
import { checkLimit, EMPTY, joinChunks, type Codec } from './codec.js';

const require = createRequire(import.meta.url);
const binding = require('zstd-napi/binding.js') as typeof ZstdBinding;

const DEFAULT_LEVEL = 3;
const MIN_CHUNK = 128 * 1024;
const MAX_CHUNK = 16 * 1024 * 1024;

let sharedDctx: ZstdBinding.DCtx | null = null;
let sharedCctx: ZstdBinding.CCtx | null = null;

function dctx(): ZstdBinding.DCtx {
  sharedDctx ??= new binding.DCtx();
  sharedDctx.reset(binding.ResetDirective.sessionOnly);
  return sharedDctx;
}

function cctx(): ZstdBinding.CCtx {
  sharedCctx ??= new binding.CCtx();
  return sharedCctx;
}

function translate(err: unknown, maxBytes: number): Error {
  if (err instanceof CorruptCompressedDataError || err instanceof DecompressionLimitError) return err;
  const message = String((err as Error).message);
  if (/too much memory/i.test(message)) {
    return new DecompressionLimitError('zstd', maxBytes, 'frame window over 2^27 bytes');
  }
  return new CorruptCompressedDataError(`zstd: ${message}`, { cause: err });
}

/** Sum of the content sizes the frames declare, or null if any frame leaves it out. */
function declaredSize(data: Buffer): number | null {
  let total = 0;
  let rest = data;
  while (rest.length > 0) {
    const size = binding.getFrameContentSize(rest);
    if (size === null) return null;
    total += size;
    const frameLength = binding.findFrameCompressedSize(rest);
    if (frameLength <= 0 || frameLength > rest.length) throw new CorruptCompressedDataError('zstd: bad frame length');
    rest = rest.subarray(frameLength);
  }
  return total;
}

function decodeKnownSize(ctx: ZstdBinding.DCtx, data: Buffer, size: number): Buffer {
  if (size === 0) {
    // One-shot decode into an empty buffer still validates the frames.
    if (ctx.decompress(EMPTY, data) !== 0) throw new CorruptCompressedDataError('zstd: content size mismatch');
    return EMPTY;
  }
  const out = Buffer.allocUnsafe(size);
  const written = ctx.decompress(out, data);
  if (written !== size) throw new CorruptCompressedDataError(`zstd: frames inflated to ${written} of ${size} bytes`);
  return out;
}

function decodeStreaming(ctx: ZstdBinding.DCtx, data: Buffer, maxBytes: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  let chunkSize = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, data.length * 4));
  for (;;) {
    const room = Math.min(chunkSize, maxBytes - total + 1);
    const out = Buffer.allocUnsafe(room);
    const [pending, produced, consumed] = ctx.decompressStream(out, input);
    input = input.subarray(consumed);
    if (produced > 0) {
      total += produced;
      checkLimit('zstd', total, maxBytes, 'decompressed size of at least');
      chunks.push(out.subarray(0, produced));
    }
    if (input.length === 0 && pending === 0) break;
    if (input.length === 0 && produced < room) throw new CorruptCompressedDataError('zstd: truncated frame');
    if (produced === 0 && consumed === 0) throw new CorruptCompressedDataError('zstd: decoder made no progress');
    chunkSize = Math.min(MAX_CHUNK, chunkSize * 2);
  }
  return chunks.length === 0 ? EMPTY : joinChunks(chunks, total);
}

function decompressSync(data: Buffer, maxBytes: number): Buffer {
  if (data.length === 0) return EMPTY;
  try {
    const ctx = dctx();
    const size = declaredSize(data);
    if (size === null) return decodeStreaming(ctx, data, maxBytes);
    checkLimit('zstd', size, maxBytes, 'declared content size');
    return decodeKnownSize(ctx, data, size);
  } catch (err) {
    throw translate(err, maxBytes);
  }
}

function compressSync(data: Buffer, level = DEFAULT_LEVEL): Buffer {
  const out = Buffer.allocUnsafe(binding.compressBound(data.length));
  const written = cctx().compress(out, data, level);
  // Do not pin a compressBound-sized allocation behind a much smaller result.
  return written * 2 < out.length ? Buffer.from(out.subarray(0, written)) : out.subarray(0, written);
}

export const zstdCodec: Codec = {
  name: 'zstd',
  // The binding is synchronous only; the async forms run inline.
  compress: async (data, level) => compressSync(data, level),
  compressSync,
  decompress: async (data, maxBytes) => decompressSync(data, maxBytes),
  decompressSync,
};
