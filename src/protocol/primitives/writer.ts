/**
 * Growable big-endian writer. Large byte fields (record batches) are not
 * copied: they are kept as references and the result is a list of chunks,
 * ready for a vectored socket write.
 */
import { uuidToBytes } from './uuid.js';

const ZERO_COPY_MIN = 4096;

export class Writer {
  private buf: Buffer;
  private pos = 0;
  private start = 0; // start of the part of buf not yet moved to chunks
  private readonly chunks: Buffer[] = [];
  private chunkedBytes = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunkedBytes + (this.pos - this.start);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const pending = this.pos - this.start;
    const size = Math.max(this.buf.length * 2, pending + n, 256);
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = pending;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  uuid(v: string): this {
    return this.raw(uuidToBytes(v));
  }

  uvarint(v: number): this {
    this.ensure(5);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  private utf8(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }

  string(s: string): this {
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.utf8(s, len);
    return this;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    return this.string(s);
  }
  compactString(s: string): this {
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.utf8(s, len);
    return this;
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    return this.compactString(s);
  }

  /** Appends bytes; large ones are referenced, not copied. */
  raw(b: Buffer): this {
    if (b.length >= ZERO_COPY_MIN) {
      if (this.pos > this.start) {
        this.chunks.push(this.buf.subarray(this.start, this.pos));
        this.chunkedBytes += this.pos - this.start;
        this.start = this.pos;
      }
      this.chunks.push(b);
      this.chunkedBytes += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }

  bytes(b: Buffer): this {
    this.int32(b.length);
    return this.raw(b);
  }
  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.bytes(b);
  }
  compactBytes(b: Buffer): this {
    this.uvarint(b.length + 1);
    return this.raw(b);
  }
  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    return this.compactBytes(b);
  }

  arrayLength(n: number, flexible: boolean): this {
    return flexible ? this.uvarint(n + 1) : this.int32(n);
  }

  /** The written bytes as chunks (no copy of large fields). */
  chunksView(): Buffer[] {
    const out = this.chunks.slice();
    if (this.pos > this.start) out.push(this.buf.subarray(this.start, this.pos));
    return out;
  }

  /** The written bytes as one buffer (copies when chunked). */
  toBuffer(): Buffer {
    const chunks = this.chunksView();
    if (chunks.length === 1) return chunks[0];
    return Buffer.concat(chunks, this.length);
  }

  // Version-dependent helpers used by the generated codec.
  str(s: string, flex: boolean): this {
    return flex ? this.compactString(s) : this.string(s);
  }
  nstr(s: string | null, flex: boolean): this {
    return flex ? this.compactNullableString(s) : this.nullableString(s);
  }
  byts(b: Buffer, flex: boolean): this {
    return flex ? this.compactBytes(b) : this.bytes(b);
  }
  nbyts(b: Buffer | null, flex: boolean): this {
    return flex ? this.compactNullableBytes(b) : this.nullableBytes(b);
  }
  array<T>(a: readonly T[] | null, flex: boolean, item: (w: Writer, e: T) => void): this {
    if (a === null) return this.arrayLength(-1, flex);
    this.arrayLength(a.length, flex);
    for (let i = 0; i < a.length; i++) item(this, a[i]);
    return this;
  }
}
