/**
 * CRC-32C (Castagnoli), the checksum of record batch v2 (computed from the
 * attributes field to the end of the batch). Backed by the crc-32 package's
 * table-driven implementation.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const impl = require('crc-32/crc32c') as { buf(data: Uint8Array, seed?: number): number };

/** Unsigned CRC-32C of buf[start, end). */
export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return impl.buf(view) >>> 0;
}
