/**
 * Bounds-checked big-endian reader over one Buffer. Every length and count is
 * checked against the bytes left before anything is sliced or allocated;
 * violations throw DecodeError. Byte fields are zero-copy subarrays.
 */
import { DecodeError } from '../errors.js';
import { uuidFromBytes } from './uuid.js';

export class Reader {
  pos: number;
  readonly end: number;

  constructor(readonly buf: Buffer, start = 0, end = buf.length) {
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DecodeError(`need ${n} bytes at position ${this.pos}, only ${this.end - this.pos} left`);
    }
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }
  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  uint32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }
  uuid(): string {
    this.need(16);
    const v = uuidFromBytes(this.buf, this.pos);
    this.pos += 16;
    return v;
  }

  /** Unsigned LEB128 varint, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new DecodeError('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError('varint out of range');
        return result;
      }
      shift += 7;
    }
    throw new DecodeError('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (32-bit). */
  varint(): number {
    const u = this.uvarint();
    return (u & 1) === 0 ? u / 2 : -(u + 1) / 2;
  }

  private utf8(len: number): string {
    this.need(len);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  string(): string {
    const len = this.int16();
    if (len < 0) throw new DecodeError('null string in a non-nullable field');
    return this.utf8(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    return this.utf8(len);
  }
  compactString(): string {
    const len = this.uvarint() - 1;
    if (len < 0) throw new DecodeError('null string in a non-nullable field');
    return this.utf8(len);
  }
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.utf8(len);
  }

  private slice(len: number): Buffer {
    this.need(len);
    const b = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return b;
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new DecodeError('null bytes in a non-nullable field');
    return this.slice(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) return null;
    return this.slice(len);
  }
  compactBytes(): Buffer {
    const len = this.uvarint() - 1;
    if (len < 0) throw new DecodeError('null bytes in a non-nullable field');
    return this.slice(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    if (len < 0) return null;
    return this.slice(len);
  }
  rawBytes(len: number): Buffer {
    return this.slice(len);
  }

  /**
   * Array length; -1 for null. A count larger than the bytes left cannot be
   * honest (every element takes at least one byte), so it is refused before
   * any allocation.
   */
  arrayLength(flexible: boolean): number {
    const n = flexible ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new DecodeError(`negative array length ${n}`);
    if (n > this.remaining) throw new DecodeError(`array length ${n} exceeds the ${this.remaining} bytes left`);
    return n;
  }

  // Version-dependent helpers used by the generated codec.
  str(flex: boolean): string {
    return flex ? this.compactString() : this.string();
  }
  nstr(flex: boolean): string | null {
    return flex ? this.compactNullableString() : this.nullableString();
  }
  byts(flex: boolean): Buffer {
    return flex ? this.compactBytes() : this.bytes();
  }
  nbyts(flex: boolean): Buffer | null {
    return flex ? this.compactNullableBytes() : this.nullableBytes();
  }
  /** Reads an array of a non-nullable field; a null array is malformed. */
  array<T>(flex: boolean, item: (r: Reader) => T): T[] {
    const a = this.nullableArray(flex, item);
    if (a === null) throw new DecodeError('null array in a non-nullable field');
    return a;
  }
  /** Reads an array; a null array reads as null. */
  nullableArray<T>(flex: boolean, item: (r: Reader) => T): T[] | null {
    const n = this.arrayLength(flex);
    if (n < 0) return null;
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }
}
