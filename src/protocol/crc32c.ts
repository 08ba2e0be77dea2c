/**
 * CRC-32C (Castagnoli), the checksum of record batch v2 (computed from the
 * attributes field to the end of the batch).
 *
 * Backed by @node-rs/crc32 (native, SSE4.2/ARMv8 CRC instructions, ~7 GB/s
 * here) when its prebuilt binary loads for this platform, else by the
 * crc-32 package's table-driven JavaScript (~1-1.4 GB/s). Both compute the
 * same function; test/unit/protocol/crc32c.test.ts checks that they agree.
 * KRILL_CRC32C=js in the environment forces the JavaScript one (to compare).
 */
import { createRequire } from 'node:module';

type Crc32c = (data: Uint8Array, seed?: number) => number;

const require = createRequire(import.meta.url);

/** The JavaScript implementation (always available). */
export const crc32cJs: Crc32c = (require('crc-32/crc32c') as { buf: Crc32c }).buf;

/** The native implementation, or null when its binary does not load here. */
export const crc32cNative: Crc32c | null = loadNative();

function loadNative(): Crc32c | null {
  if (process.env.KRILL_CRC32C === 'js') return null;
  try {
    const mod = require('@node-rs/crc32') as { crc32c: (input: Uint8Array, initialState?: number) => number };
    const f: Crc32c = (data, seed) => mod.crc32c(data, seed);
    // A known vector, so a broken binary falls back instead of failing every batch.
    return (f(Buffer.from('123456789')) >>> 0) === 0xe3069283 ? f : null;
  } catch {
    return null;
  }
}

const impl: Crc32c = crc32cNative ?? crc32cJs;

/** Which implementation crc32c() uses ('native' or 'js'). */
export const crc32cImplementation: 'native' | 'js' = crc32cNative ? 'native' : 'js';

/** Unsigned CRC-32C of buf[start, end). */
export function crc32c(buf: Buffer, start = 0, end = buf.length): number {
  const view = start === 0 && end === buf.length ? buf : buf.subarray(start, end);
  return impl(view) >>> 0;
}
