/** Lookups over a log's sorted segment list, shared by PartitionLog's reads. */
import { LogError, LogIoError } from './errors.js';
import { isErrno } from './file-io.js';
import type { TimestampAndOffset } from './partition-log-types.js';
import type { Segment } from './segment.js';
import { NO_TIMESTAMP } from './time-index.js';

/** Index of the last segment with baseOffset <= offset, or -1. */
export function floorSegment(segs: readonly Segment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((segs[mid] as Segment).baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export function checkOffset(offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`offset ${offset} is not a non-negative safe integer`);
}

/** The first batch at or after minOffset whose max timestamp is >= ts (see PartitionLog.offsetForTimestamp). */
export async function findOffsetForTimestamp(segs: readonly Segment[], minOffset: number, ts: number): Promise<TimestampAndOffset | null> {
  for (let i = Math.max(0, floorSegment(segs, minOffset)); i < segs.length; i++) {
    const seg = segs[i] as Segment;
    await seg.ensureIndexes();
    if (seg.maxTimestamp < ts) continue;
    const batch = await seg.findByTimestamp(ts, minOffset);
    if (batch !== null) return { offset: Math.max(batch.baseOffset, minOffset), timestamp: batch.maxTimestamp };
  }
  return null;
}

/** Largest batch max timestamp and the last offset of the first batch carrying it, or null. */
export async function findMaxTimestamp(segs: readonly Segment[]): Promise<TimestampAndOffset | null> {
  let best: TimestampAndOffset | null = null;
  for (const seg of segs) {
    await seg.ensureIndexes();
    if (seg.maxTimestamp > (best?.timestamp ?? NO_TIMESTAMP)) {
      best = { timestamp: seg.maxTimestamp, offset: seg.offsetOfMaxTimestamp };
    }
  }
  return best;
}

const EMPTY = Buffer.alloc(0);

/** Reads from the first segment (from the one holding offset) that has a batch at or after it; empty at the end. */
export async function readSegments(segs: readonly Segment[], offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<Buffer> {
  for (let i = Math.max(0, floorSegment(segs, offset)); i < segs.length; i++) {
    const records = await (segs[i] as Segment).read(offset, maxBytes, minOneBatch, maxOffset);
    if (records !== null) return records;
  }
  return EMPTY;
}

const READ_RETRIES = 3;

/**
 * Runs a read against the current segments. A segment deleted under it
 * (truncation, log start moves) shows as ENOENT: retry on the new segment
 * list (after `idle`: a swap retires segments before the new ones are in),
 * whose range checks then apply. Other I/O errors become LogIoError.
 */
export async function retryingRead<T>(dir: string, attempt: () => Promise<T>, check: () => void, idle: () => Promise<void>): Promise<T> {
  for (let tries = 1; ; tries++) {
    check();
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof LogError || err instanceof RangeError) throw err;
      if (!isErrno(err, 'ENOENT') || tries >= READ_RETRIES) throw new LogIoError(dir, err);
      await idle();
    }
  }
}
