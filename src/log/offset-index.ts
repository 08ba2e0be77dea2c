/**
 * Sparse offset index of one segment, kept in memory as typed arrays and
 * mirrored to the `.index` file by appending entries.
 *
 * Entry format (8 bytes, big-endian, Kafka's): int32 offset relative to the
 * segment's base offset, int32 byte position in the `.log` file. As in Kafka,
 * the indexed offset is the *last* offset of the batch that starts at the
 * position, so "greatest entry <= target" yields a position at or before the
 * batch holding the target. Offsets and positions are strictly increasing.
 *
 * Pure: no I/O. The segment decides when to add entries and writes the bytes.
 */
import { ensureCapacity, floorSearch } from './sorted-search.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetPosition {
  readonly offset: number;
  readonly position: number;
}

export class OffsetIndex {
  #rel: Int32Array = new Int32Array(16);
  #pos: Int32Array = new Int32Array(16);
  #count = 0;

  /** maxEntries is the capacity from segment.index.bytes; reaching it asks for a roll. */
  constructor(
    readonly baseOffset: number,
    readonly maxEntries: number,
  ) {}

  get entries(): number {
    return this.#count;
  }

  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  entry(i: number): OffsetPosition {
    if (i < 0 || i >= this.#count) throw new RangeError(`offset index entry ${i} of ${this.#count}`);
    return { offset: this.baseOffset + (this.#rel[i] as number), position: this.#pos[i] as number };
  }

  last(): OffsetPosition | null {
    return this.#count === 0 ? null : this.entry(this.#count - 1);
  }

  /** Greatest entry with offset <= target; the segment start when there is none. */
  lookup(offset: number): OffsetPosition {
    const i = floorSearch(this.#rel, this.#count, offset - this.baseOffset);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entry(i);
  }

  /** Appends an entry; offsets and positions must strictly increase. */
  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff) throw new RangeError(`offset ${offset} not relative to ${this.baseOffset}`);
    if (position < 0 || position > 0x7fffffff) throw new RangeError(`position ${position} out of int32 range`);
    const n = this.#count;
    if (n > 0 && (rel <= (this.#rel[n - 1] as number) || position <= (this.#pos[n - 1] as number))) {
      throw new RangeError(`offset index entry (${offset}, ${position}) does not follow the last entry`);
    }
    this.#rel = ensureCapacity(this.#rel, n, n + 1);
    this.#pos = ensureCapacity(this.#pos, n, n + 1);
    this.#rel[n] = rel;
    this.#pos[n] = position;
    this.#count = n + 1;
  }

  /** Number of leading entries whose position is < size. */
  entriesBelowPosition(size: number): number {
    return floorSearch(this.#pos, this.#count, size - 1) + 1;
  }

  truncateToEntries(n: number): void {
    if (n < this.#count) this.#count = Math.max(0, n);
  }

  /** Encodes entries [from, to) in the file format. */
  encode(from = 0, to = this.#count): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = from; i < to; i++) {
      const at = (i - from) * OFFSET_INDEX_ENTRY_BYTES;
      buf.writeInt32BE(this.#rel[i] as number, at);
      buf.writeInt32BE(this.#pos[i] as number, at + 4);
    }
    return buf;
  }

  /** Encodes entries given as absolute offsets, without adding them. */
  static encodeEntries(baseOffset: number, entries: readonly OffsetPosition[]): Buffer {
    const buf = Buffer.allocUnsafe(entries.length * OFFSET_INDEX_ENTRY_BYTES);
    entries.forEach((e, i) => {
      buf.writeInt32BE(e.offset - baseOffset, i * OFFSET_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(e.position, i * OFFSET_INDEX_ENTRY_BYTES + 4);
    });
    return buf;
  }

  /**
   * Decodes a whole index file. Returns the index, or a description of what is
   * wrong (partial entry, non-increasing entries, entry beyond the bounds).
   */
  static decode(
    baseOffset: number,
    maxEntries: number,
    buf: Buffer,
    bounds: { logSize: number; nextOffset: number },
  ): OffsetIndex | string {
    if (buf.length % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of 8`;
    const index = new OffsetIndex(baseOffset, maxEntries);
    for (let at = 0; at < buf.length; at += OFFSET_INDEX_ENTRY_BYTES) {
      const offset = baseOffset + buf.readInt32BE(at);
      const position = buf.readInt32BE(at + 4);
      if (offset < baseOffset || offset >= bounds.nextOffset) return `entry offset ${offset} outside segment`;
      if (position < 0 || position >= bounds.logSize) return `entry position ${position} beyond log size`;
      const last = index.last();
      if (last !== null && (offset <= last.offset || position <= last.position)) {
        return `entry (${offset}, ${position}) does not increase`;
      }
      index.append(offset, position);
    }
    return index;
  }
}
