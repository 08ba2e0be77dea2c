/**
 * Walks the record batches of a segment file from a start position, reading
 * the file in windows so that a scan costs about one read per window rather
 * than one per batch. By default only the 61-byte headers are examined (length,
 * magic, offsets, max timestamp); with `verify` every batch is read whole and
 * checked with `checkBatch` (CRC-32C included), as recovery needs.
 *
 * The scanner stops at the first batch it cannot accept and records why in
 * `problem`; it never throws for bad bytes (only for I/O errors).
 */
import type { FileHandle } from 'node:fs/promises';
import {
  BATCH_HEADER_SIZE,
  BATCH_OVERHEAD,
  type BatchProblem,
  baseOffsetOf,
  checkBatch,
  lastOffsetDeltaOf,
  magicOf,
  maxTimestampOf,
} from '../protocol/record-batch.js';
import { readAt } from './file-io.js';
import type { BatchInfo } from './index-plan.js';

export type ScanProblemKind = BatchProblem | 'bad-offset';

export interface ScanProblem {
  readonly position: number;
  readonly problem: ScanProblemKind;
}

export interface ScanOptions {
  /** Check each whole batch (CRC, counts) instead of only its header. */
  readonly verify?: boolean;
  /** Bytes read per window; batches larger than this are read on their own. */
  readonly windowBytes?: number;
}

const DEFAULT_HEADER_WINDOW = 16 * 1024;
const DEFAULT_VERIFY_WINDOW = 1024 * 1024;

export class BatchScanner {
  readonly #fh: FileHandle;
  readonly #end: number;
  readonly #verify: boolean;
  readonly #window: number;
  #pos: number;
  #buf: Buffer = Buffer.alloc(0);
  #bufStart = 0;
  #problem: ScanProblem | null = null;

  /** Scans [start, end) of the file. */
  constructor(fh: FileHandle, start: number, end: number, options: ScanOptions = {}) {
    this.#fh = fh;
    this.#pos = start;
    this.#end = end;
    this.#verify = options.verify ?? false;
    this.#window = options.windowBytes ?? (this.#verify ? DEFAULT_VERIFY_WINDOW : DEFAULT_HEADER_WINDOW);
  }

  /** Position after the last accepted batch (where a bad batch starts, after a problem). */
  get position(): number {
    return this.#pos;
  }

  /** Why the scan stopped early, or null. */
  get problem(): ScanProblem | null {
    return this.#problem;
  }

  /** The next batch, or null at the end or at a problem. */
  async next(): Promise<BatchInfo | null> {
    if (this.#problem !== null || this.#pos >= this.#end) return null;
    const pos = this.#pos;
    const headerLen = Math.min(BATCH_HEADER_SIZE, this.#end - pos);
    let at = await this.#ensure(pos, headerLen);
    if (at < 0 || headerLen < BATCH_HEADER_SIZE) return this.#fail('truncated');
    const size = BATCH_OVERHEAD + this.#buf.readInt32BE(at + 8);
    if (size < BATCH_HEADER_SIZE) return this.#fail('bad-length');
    if (pos + size > this.#end) return this.#fail('truncated');
    if (magicOf(this.#buf, at) !== 2) return this.#fail('bad-magic');
    if (this.#verify) {
      at = await this.#ensure(pos, size);
      if (at < 0) return this.#fail('truncated');
      const problem = checkBatch(this.#buf, at, at + size);
      if (problem !== null) return this.#fail(problem);
    }
    const delta = lastOffsetDeltaOf(this.#buf, at);
    if (delta < 0) return this.#fail('bad-count');
    const baseOffset = baseOffsetOf(this.#buf, at);
    if (!Number.isSafeInteger(baseOffset + delta) || baseOffset < 0) return this.#fail('bad-offset');
    const batch: BatchInfo = {
      position: pos,
      size,
      baseOffset,
      lastOffset: baseOffset + delta,
      maxTimestamp: maxTimestampOf(this.#buf, at),
    };
    this.#pos = pos + size;
    return batch;
  }

  /** File bytes [pos, pos+n) if the current window already holds them (no I/O), else null. */
  peek(pos: number, n: number): Buffer | null {
    if (pos < this.#bufStart || pos + n > this.#bufStart + this.#buf.length) return null;
    return this.#buf.subarray(pos - this.#bufStart, pos - this.#bufStart + n);
  }

  /** Marks the current batch as unacceptable for a reason found by the caller. */
  reject(problem: ScanProblemKind, position: number): void {
    this.#problem = { position, problem };
    this.#pos = position;
  }

  #fail(problem: ScanProblemKind): null {
    this.#problem = { position: this.#pos, problem };
    return null;
  }

  /** Makes file bytes [pos, pos+n) available in #buf; returns their index there, or -1 if the file is short. */
  async #ensure(pos: number, n: number): Promise<number> {
    const bufEnd = this.#bufStart + this.#buf.length;
    if (pos >= this.#bufStart && pos + n <= bufEnd) return pos - this.#bufStart;
    const len = Math.min(Math.max(n, this.#window), this.#end - pos);
    this.#buf = await readAt(this.#fh, pos, len);
    this.#bufStart = pos;
    return this.#buf.length >= n ? 0 : -1;
  }
}

/**
 * Length of the prefix of data made of whole batches whose last offset is
 * < maxOffset (header fields only; no CRC check).
 */
export function wholeBatchesEnd(data: Buffer, maxOffset: number): number {
  let end = 0;
  while (data.length - end >= BATCH_HEADER_SIZE) {
    const size = BATCH_OVERHEAD + data.readInt32BE(end + 8);
    if (size < BATCH_HEADER_SIZE || end + size > data.length) break;
    if (baseOffsetOf(data, end) + lastOffsetDeltaOf(data, end) >= maxOffset) break;
    end += size;
  }
  return end;
}
