/**
 * snappy (compression type 2). Kafka's Java client writes the xerial
 * snappy-java stream: an 8-byte magic "\x82SNAPPY\0", int32 version 1, int32
 * minimum compatible version 1, then blocks of int32 compressed length plus a
 * raw snappy block holding at most 32 KiB of input. kafkajs-snappy and some
 * other clients send one raw snappy block instead, and snappy-java reads
 * both, so decompression accepts both (and xerial streams concatenated
 * after one another, whose headers reappear between blocks).
 *
 * Every raw block states its decompressed length in a leading varint, so
 * the total is known, and checked against the limit, before anything is
 * inflated.
 */
import { createRequire } from 'node:module';
import type * as SnappyModule from 'snappy';
import { CorruptCompressedDataError } from '../record-errors.js';
import { checkLimit, EMPTY, joinChunks, type Codec } from './codec.js';

const require = createRequire(import.meta.url);
const snappy = require('snappy') as typeof SnappyModule;

const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const HEADER_SIZE = 16;
const XERIAL_VERSION = 1;
const XERIAL_MIN_COMPATIBLE = 1;
export const XERIAL_BLOCK_SIZE = 32 * 1024;

function header(): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(h, 0);
  h.writeInt32BE(XERIAL_VERSION, 8);
  h.writeInt32BE(XERIAL_MIN_COMPATIBLE, 12);
  return h;
}

function hasMagicAt(data: Buffer, pos: number): boolean {
  return data.length - pos >= MAGIC.length && data.compare(MAGIC, 0, MAGIC.length, pos, pos + MAGIC.length) === 0;
}

function corrupt(message: string, cause?: unknown): CorruptCompressedDataError {
  return new CorruptCompressedDataError(`snappy: ${message}`, cause === undefined ? undefined : { cause });
}

/** The decompressed length a raw snappy block declares (little-endian base-128 uint32). */
export function rawSnappyLength(block: Buffer): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw corrupt('truncated block length');
    const byte = block[i] as number;
    result += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (result > 0xffffffff) throw corrupt('block length out of range');
      return result;
    }
  }
  throw corrupt('block length varint longer than 5 bytes');
}

/** Splits a payload into raw blocks, checking framing and the declared total. */
function splitBlocks(data: Buffer, maxBytes: number): { blocks: Buffer[]; total: number } {
  if (!hasMagicAt(data, 0)) {
    const total = rawSnappyLength(data);
    checkLimit('snappy', total, maxBytes);
    return { blocks: [data], total };
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    if (hasMagicAt(data, pos)) {
      if (data.length - pos < HEADER_SIZE) throw corrupt('truncated xerial header');
      pos += HEADER_SIZE;
      continue;
    }
    if (data.length - pos < 4) throw corrupt('truncated xerial block length');
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || len > data.length - pos) throw corrupt(`xerial block length ${len} exceeds the bytes left`);
    const block = data.subarray(pos, pos + len);
    pos += len;
    total += rawSnappyLength(block);
    checkLimit('snappy', total, maxBytes);
    blocks.push(block);
  }
  return { blocks, total };
}

function checked(out: string | Buffer, expected: number): Buffer {
  if (typeof out === 'string' || out.length !== expected) throw corrupt('block decoded to an unexpected length');
  return out;
}

function uncompressBlockSync(block: Buffer): Buffer {
  const expected = rawSnappyLength(block);
  try {
    return checked(snappy.uncompressSync(block, { asBuffer: true }), expected);
  } catch (err) {
    throw err instanceof CorruptCompressedDataError ? err : corrupt((err as Error).message, err);
  }
}

async function uncompressBlock(block: Buffer): Promise<Buffer> {
  const expected = rawSnappyLength(block);
  try {
    return checked(await snappy.uncompress(block, { asBuffer: true }), expected);
  } catch (err) {
    throw err instanceof CorruptCompressedDataError ? err : corrupt((err as Error).message, err);
  }
}

function frame(blocks: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [header()];
  let size = HEADER_SIZE;
  for (const block of blocks) {
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
    size += 4 + block.length;
  }
  return Buffer.concat(parts, size);
}

function chunksOf(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let pos = 0; pos < data.length; pos += XERIAL_BLOCK_SIZE) {
    chunks.push(data.subarray(pos, pos + XERIAL_BLOCK_SIZE));
  }
  return chunks;
}

export const snappyCodec: Codec = {
  name: 'snappy',

  async compress(data) {
    return frame(await Promise.all(chunksOf(data).map((chunk) => snappy.compress(chunk))));
  },

  compressSync(data) {
    return frame(chunksOf(data).map((chunk) => snappy.compressSync(chunk)));
  },

  async decompress(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    const { blocks, total } = splitBlocks(data, maxBytes);
    return joinChunks(await Promise.all(blocks.map(uncompressBlock)), total);
  },

  decompressSync(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    const { blocks, total } = splitBlocks(data, maxBytes);
    return joinChunks(blocks.map(uncompressBlockSync), total);
  },
};
