/**
 * Zigzag varint (int32) and varlong (int64) as used by record batch v2
 * records: little-endian base-128 groups of seven bits, sign folded into the
 * lowest bit. Varlongs are JS numbers restricted to [-2^52, 2^52 - 1], where
 * the zigzag form stays a safe integer; that covers every millisecond
 * timestamp delta. Longer varlongs are reported as corrupt.
 *
 * Reads go through a Cursor and are bounds-checked; malformed input throws
 * CorruptRecordError. Writes assume the caller sized the buffer with
 * varintSize/varlongSize.
 */
import { CorruptRecordError } from './record-errors.js';

export const MAX_VARINT_BYTES = 5;
export const MAX_VARLONG_BYTES = 10;
/** Varlong range supported here: the zigzag form is at most Number.MAX_SAFE_INTEGER. */
export const MIN_VARLONG = -(2 ** 52);
export const MAX_VARLONG = 2 ** 52 - 1;

/** A read position in buf that must not pass end. */
export interface Cursor {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;
}

function zigzag32(value: number): number {
  return ((value << 1) ^ (value >> 31)) >>> 0;
}

function zigzag64(value: number): number {
  if (!Number.isInteger(value) || value < MIN_VARLONG || value > MAX_VARLONG) {
    throw new RangeError(`varlong out of range: ${value}`);
  }
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function checkInt32(value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff) {
    throw new RangeError(`varint out of range: ${value}`);
  }
}

function unsignedSize(z: number): number {
  let size = 1;
  while (z >= 0x80) {
    z = Math.floor(z / 0x80);
    size++;
  }
  return size;
}

export function varintSize(value: number): number {
  checkInt32(value);
  return unsignedSize(zigzag32(value));
}

export function varlongSize(value: number): number {
  return unsignedSize(zigzag64(value));
}

function writeUnsigned(buf: Buffer, pos: number, z: number): number {
  while (z >= 0x80) {
    buf[pos++] = (z % 0x80) | 0x80;
    z = Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

/** Writes value at pos; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  checkInt32(value);
  return writeUnsigned(buf, pos, zigzag32(value));
}

/** Writes value at pos; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  return writeUnsigned(buf, pos, zigzag64(value));
}

function readUnsigned(c: Cursor, maxBytes: number, what: string): number {
  let result = 0;
  let scale = 1;
  for (let i = 0; i < maxBytes; i++) {
    if (c.pos >= c.end) throw new CorruptRecordError(`truncated ${what} at byte ${c.pos}`);
    const byte = c.buf[c.pos++] as number;
    result += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return result;
    scale *= 0x80;
  }
  throw new CorruptRecordError(`${what} longer than ${maxBytes} bytes at byte ${c.pos}`);
}

export function readVarint(c: Cursor): number {
  const z = readUnsigned(c, MAX_VARINT_BYTES, 'varint');
  if (z > 0xffffffff) throw new CorruptRecordError(`varint out of range at byte ${c.pos}`);
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

export function readVarlong(c: Cursor): number {
  const z = readUnsigned(c, MAX_VARLONG_BYTES, 'varlong');
  // Partial sums are exact while below 2^53, so any z within the safe range is exact.
  if (z > Number.MAX_SAFE_INTEGER) {
    throw new CorruptRecordError(`varlong outside [-2^52, 2^52) at byte ${c.pos} (not supported)`);
  }
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}
