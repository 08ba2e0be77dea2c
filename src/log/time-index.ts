/**
 * Sparse time index of one segment, in memory as typed arrays and mirrored to
 * the `.timeindex` file by appending entries.
 *
 * Entry format (12 bytes, big-endian, Kafka's): int64 timestamp, int32 offset
 * relative to the segment base. An entry (t, o) says: the largest timestamp in
 * the segment up to and including the batch whose last offset is o is t.
 * Timestamps strictly increase (an entry is only added when the segment's max
 * timestamp grew); offsets never decrease.
 *
 * Pure: no I/O.
 */
import { ensureCapacity, floorSearch, lowerSearch } from './sorted-search.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

/** Kafka's RecordBatch.NO_TIMESTAMP. */
export const NO_TIMESTAMP = -1;

export interface TimestampOffset {
  readonly timestamp: number;
  readonly offset: number;
}

export class TimeIndex {
  #ts: Float64Array = new Float64Array(16);
  #rel: Int32Array = new Int32Array(16);
  #count = 0;

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

  /** Timestamp of the last entry, or NO_TIMESTAMP when empty. */
  get lastTimestamp(): number {
    return this.#count === 0 ? NO_TIMESTAMP : (this.#ts[this.#count - 1] as number);
  }

  entry(i: number): TimestampOffset {
    if (i < 0 || i >= this.#count) throw new RangeError(`time index entry ${i} of ${this.#count}`);
    return { timestamp: this.#ts[i] as number, offset: this.baseOffset + (this.#rel[i] as number) };
  }

  last(): TimestampOffset | null {
    return this.#count === 0 ? null : this.entry(this.#count - 1);
  }

  /** Greatest entry with timestamp <= ts, or null. */
  lookupFloor(ts: number): TimestampOffset | null {
    const i = floorSearch(this.#ts, this.#count, ts);
    return i < 0 ? null : this.entry(i);
  }

  /**
   * Greatest entry with timestamp < ts, or null. Every batch up to that
   * entry's offset has max timestamp < ts, so a search for the first batch
   * with timestamp >= ts may start after it.
   */
  lookupBefore(ts: number): TimestampOffset | null {
    const i = lowerSearch(this.#ts, this.#count, ts);
    return i < 0 ? null : this.entry(i);
  }

  /** Appends (timestamp, offset) when timestamp exceeds the last entry's; returns whether it did. */
  maybeAppend(timestamp: number, offset: number): boolean {
    if (timestamp <= this.lastTimestamp) return false;
    const rel = offset - this.baseOffset;
    if (rel < 0 || rel > 0x7fffffff) throw new RangeError(`offset ${offset} not relative to ${this.baseOffset}`);
    const n = this.#count;
    if (n > 0 && rel < (this.#rel[n - 1] as number)) {
      throw new RangeError(`time index offset ${offset} goes backwards`);
    }
    this.#ts = ensureCapacity(this.#ts, n, n + 1);
    this.#rel = ensureCapacity(this.#rel, n, n + 1);
    this.#ts[n] = timestamp;
    this.#rel[n] = rel;
    this.#count = n + 1;
    return true;
  }

  /** Number of leading entries whose offset is < offset. */
  entriesBelowOffset(offset: number): number {
    return lowerSearch(this.#rel, this.#count, offset - this.baseOffset) + 1;
  }

  truncateToEntries(n: number): void {
    if (n < this.#count) this.#count = Math.max(0, n);
  }

  encode(from = 0, to = this.#count): Buffer {
    const buf = Buffer.allocUnsafe((to - from) * TIME_INDEX_ENTRY_BYTES);
    for (let i = from; i < to; i++) {
      const at = (i - from) * TIME_INDEX_ENTRY_BYTES;
      buf.writeBigInt64BE(BigInt(this.#ts[i] as number), at);
      buf.writeInt32BE(this.#rel[i] as number, at + 8);
    }
    return buf;
  }

  /** Encodes entries given as absolute offsets, without adding them. */
  static encodeEntries(baseOffset: number, entries: readonly TimestampOffset[]): Buffer {
    const buf = Buffer.allocUnsafe(entries.length * TIME_INDEX_ENTRY_BYTES);
    entries.forEach((e, i) => {
      buf.writeBigInt64BE(BigInt(e.timestamp), i * TIME_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(e.offset - baseOffset, i * TIME_INDEX_ENTRY_BYTES + 8);
    });
    return buf;
  }

  static decode(
    baseOffset: number,
    maxEntries: number,
    buf: Buffer,
    bounds: { nextOffset: number },
  ): TimeIndex | string {
    if (buf.length % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${buf.length} is not a multiple of 12`;
    const index = new TimeIndex(baseOffset, maxEntries);
    for (let at = 0; at < buf.length; at += TIME_INDEX_ENTRY_BYTES) {
      const timestamp = Number(buf.readBigInt64BE(at));
      const offset = baseOffset + buf.readInt32BE(at + 8);
      if (offset < baseOffset || offset >= bounds.nextOffset) return `entry offset ${offset} outside segment`;
      if (!Number.isSafeInteger(timestamp)) return `entry timestamp ${timestamp} not a safe integer`;
      const last = index.last();
      if (timestamp <= index.lastTimestamp || (last !== null && offset < last.offset)) {
        return `entry (${timestamp}, ${offset}) does not increase`;
      }
      index.maybeAppend(timestamp, offset);
    }
    return index;
  }
}
