/**
 * gzip (compression type 1) through node:zlib. Kafka writes and reads a
 * gzip stream (RFC 1952); concatenated members decode as one stream, as
 * java.util.zip.GZIPInputStream does. The zlib (RFC 1950) format is refused.
 * The size limit is zlib's maxOutputLength, enforced while inflating.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { CorruptCompressedDataError, DecompressionLimitError } from '../record-errors.js';
import { checkLimit, EMPTY, type Codec } from './codec.js';

const gzipAsync = promisify(zlib.gzip);
const gunzipAsync = promisify(zlib.gunzip);

function compressOptions(level: number | undefined): zlib.ZlibOptions {
  return level === undefined ? {} : { level };
}

function translate(err: unknown, maxBytes: number): Error {
  const code = (err as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') {
    return new DecompressionLimitError('gzip', maxBytes, 'decompressed output');
  }
  return new CorruptCompressedDataError(`gzip: ${(err as Error).message}`, { cause: err });
}

export const gzipCodec: Codec = {
  name: 'gzip',
  compress: (data, level) => gzipAsync(data, compressOptions(level)),
  compressSync: (data, level) => zlib.gzipSync(data, compressOptions(level)),

  async decompress(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    let out: Buffer;
    try {
      out = await gunzipAsync(data, { maxOutputLength: Math.max(1, maxBytes) });
    } catch (err) {
      throw translate(err, maxBytes);
    }
    checkLimit('gzip', out.length, maxBytes);
    return out;
  },

  decompressSync(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    let out: Buffer;
    try {
      out = zlib.gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
    } catch (err) {
      throw translate(err, maxBytes);
    }
    checkLimit('gzip', out.length, maxBytes);
    return out;
  },
};
