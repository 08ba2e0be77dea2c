/**
 * lz4 (compression type 3): the standard LZ4 frame format (magic 0x184D2204),
 * as Kafka has used for magic v2 batches (KIP-57 fixed the header checksum of
 * older versions, which Krill does not need). The codec is lz4-napi's frame
 * API, the same library @2l/kafkajs-lz4 registers for kafkajs; it writes
 * independent 64 KiB blocks and no content size.
 *
 * lz4-napi inflates only the first frame and returns what it has when a frame
 * is truncated, and it has no output limit. So before inflating, this module
 * walks the frame structure itself: it checks every length against the bytes
 * left, requires each frame's end mark, splits concatenated frames and skips
 * skippable ones. It also walks the sequences of each compressed block (their
 * literal and match lengths, without copying anything), which gives the exact
 * decompressed size; that size is checked against maxBytes, and against a
 * declared content size, before any output is allocated.
 */
import { createRequire } from 'node:module';
import type * as Lz4Module from 'lz4-napi';
import { CorruptCompressedDataError } from '../record-errors.js';
import { checkLimit, EMPTY, joinChunks, type Codec } from './codec.js';

const require = createRequire(import.meta.url);
const lz4 = require('lz4-napi') as typeof Lz4Module;

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_RESERVED = 0x02;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED = 0x80000000;

interface FrameSpan {
  start: number;
  end: number;
  /** Exact decompressed size, from the block sequences. */
  size: number;
}

function corrupt(message: string, cause?: unknown): CorruptCompressedDataError {
  return new CorruptCompressedDataError(`lz4: ${message}`, cause === undefined ? undefined : { cause });
}

function need(data: Buffer, pos: number, n: number, what: string): void {
  if (data.length - pos < n) throw corrupt(`truncated ${what} at byte ${pos}`);
}

/** Reads an LZ4 length continuation (bytes of 255 then a final byte) at pos; returns [extra, next pos]. */
function lengthExtension(data: Buffer, pos: number, end: number): [number, number] {
  let extra = 0;
  let byte: number;
  do {
    if (pos >= end) throw corrupt('truncated sequence length');
    byte = data[pos++] as number;
    extra += byte;
  } while (byte === 255);
  return [extra, pos];
}

/**
 * Decompressed size of the LZ4 block in data[start, end), from its sequences:
 * token (literal length high nibble, match length low nibble), literal length
 * continuation, literals, then unless this is the last sequence a 2-byte
 * offset and a match length continuation. The match length is nibble + 4.
 */
export function lz4BlockSize(data: Buffer, start: number, end: number): number {
  let pos = start;
  let size = 0;
  for (;;) {
    if (pos >= end) throw corrupt('block ends inside a sequence');
    const token = data[pos++] as number;
    let literals = token >> 4;
    if (literals === 15) {
      const [extra, next] = lengthExtension(data, pos, end);
      literals += extra;
      pos = next;
    }
    if (literals > end - pos) throw corrupt('literals run past the block');
    pos += literals;
    size += literals;
    if (pos === end) return size;
    if (end - pos < 2) throw corrupt('truncated match offset');
    pos += 2;
    let match = (token & 0x0f) + 4;
    if ((token & 0x0f) === 0x0f) {
      const [extra, next] = lengthExtension(data, pos, end);
      match += extra;
      pos = next;
    }
    size += match;
  }
}

/** Walks one LZ4 frame starting at pos (magic already checked). */
function scanFrame(data: Buffer, start: number, maxBytes: number): FrameSpan {
  let pos = start + 4;
  need(data, pos, 3, 'frame descriptor');
  const flg = data[pos] as number;
  const bd = data[pos + 1] as number;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01 || (flg & FLG_RESERVED) !== 0) {
    throw corrupt(`unsupported frame flags 0x${flg.toString(16)}`);
  }
  const blockMaxId = (bd >> 4) & 0x07;
  if (blockMaxId < 4 || (bd & 0x8f) !== 0) throw corrupt(`bad block descriptor 0x${bd.toString(16)}`);
  const blockMax = 2 ** (8 + 2 * blockMaxId);
  pos += 2;
  let contentSize: number | null = null;
  if (flg & FLG_CONTENT_SIZE) {
    need(data, pos, 8, 'content size');
    contentSize = Number(data.readBigUInt64LE(pos));
    checkLimit('lz4', contentSize, maxBytes, 'declared content size');
    pos += 8;
  }
  if (flg & FLG_DICT_ID) pos += 4;
  need(data, pos, 1, 'header checksum');
  pos += 1;
  const trailer = flg & FLG_BLOCK_CHECKSUM ? 4 : 0;
  let size = 0;
  for (;;) {
    need(data, pos, 4, 'block size');
    const word = data.readUInt32LE(pos);
    pos += 4;
    if (word === 0) break;
    const length = (word & ~BLOCK_UNCOMPRESSED) >>> 0;
    if (length > blockMax) throw corrupt(`block of ${length} bytes exceeds the block maximum ${blockMax}`);
    need(data, pos, length + trailer, 'block');
    const blockSize = word & BLOCK_UNCOMPRESSED ? length : lz4BlockSize(data, pos, pos + length);
    if (blockSize > blockMax) throw corrupt(`block inflates to ${blockSize} bytes, over the block maximum ${blockMax}`);
    size += blockSize;
    checkLimit('lz4', size, maxBytes);
    pos += length + trailer;
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    need(data, pos, 4, 'content checksum');
    pos += 4;
  }
  if (contentSize !== null && contentSize !== size) {
    throw corrupt(`declared content size ${contentSize}, blocks hold ${size}`);
  }
  return { start, end: pos, size };
}

/** Splits a payload into LZ4 frames and checks their total size against maxBytes. */
export function scanLz4Frames(data: Buffer, maxBytes: number): FrameSpan[] {
  const frames: FrameSpan[] = [];
  let total = 0;
  let pos = 0;
  while (pos < data.length) {
    need(data, pos, 4, 'frame magic');
    const magic = data.readUInt32LE(pos);
    if (((magic & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      need(data, pos + 4, 4, 'skippable frame size');
      const size = data.readUInt32LE(pos + 4);
      need(data, pos + 8, size, 'skippable frame');
      pos += 8 + size;
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    const frame = scanFrame(data, pos, maxBytes);
    total += frame.size;
    checkLimit('lz4', total, maxBytes);
    frames.push(frame);
    pos = frame.end;
  }
  return frames;
}

function checkedFrame(out: Buffer, frame: FrameSpan): Buffer {
  if (out.length !== frame.size) throw corrupt(`frame inflated to ${out.length} bytes, its blocks hold ${frame.size}`);
  return out;
}

function inflateSync(data: Buffer, frame: FrameSpan): Buffer {
  try {
    return checkedFrame(lz4.decompressFrameSync(data.subarray(frame.start, frame.end)), frame);
  } catch (err) {
    throw err instanceof CorruptCompressedDataError ? err : corrupt(String((err as Error).message), err);
  }
}

async function inflate(data: Buffer, frame: FrameSpan): Promise<Buffer> {
  try {
    return checkedFrame(await lz4.decompressFrame(data.subarray(frame.start, frame.end)), frame);
  } catch (err) {
    throw err instanceof CorruptCompressedDataError ? err : corrupt(String((err as Error).message), err);
  }
}

function join(parts: Buffer[], maxBytes: number): Buffer {
  const total = parts.reduce((sum, p) => sum + p.length, 0);
  checkLimit('lz4', total, maxBytes);
  return parts.length === 0 ? EMPTY : joinChunks(parts, total);
}

export const lz4Codec: Codec = {
  name: 'lz4',
  compress: (data) => lz4.compressFrame(data),
  compressSync: (data) => lz4.compressFrameSync(data),

  async decompress(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    const frames = scanLz4Frames(data, maxBytes);
    return join(await Promise.all(frames.map((f) => inflate(data, f))), maxBytes);
  },

  decompressSync(data, maxBytes) {
    if (data.length === 0) return EMPTY;
    const frames = scanLz4Frames(data, maxBytes);
    return join(frames.map((f) => inflateSync(data, f)), maxBytes);
  },
};
