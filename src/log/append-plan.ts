/**
 * Offset assignment for an append: walks the input (one or more consecutive
 * v2 batches, already validated by the produce path), checks the framing is
 * exact, then rewrites each batch's baseOffset in place (the CRC does not
 * cover it) and optionally stamps LogAppendTime (which does recompute the CRC).
 *
 * Pure apart from mutating the caller's buffer, and synchronous, so a log can
 * assign offsets at the moment it decides to accept an append.
 */
import {
  BATCH_HEADER_SIZE,
  BATCH_OVERHEAD,
  baseOffsetOf,
  lastOffsetDeltaOf,
  magicOf,
  maxTimestampOf,
  setBaseOffset,
  setLogAppendTime,
} from '../protocol/record-batch.js';
import { InvalidBatchError } from './errors.js';
import type { BatchInfo } from './index-plan.js';
import { NO_TIMESTAMP } from './time-index.js';

export interface AppendPlan {
  /** Positions relative to the start of the buffer. */
  readonly batches: readonly BatchInfo[];
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly bytes: number;
  /** Largest batch max timestamp (NO_TIMESTAMP when no batch has one). */
  readonly maxTimestamp: number;
  /** Last offset of the first batch carrying maxTimestamp (-1 when none). */
  readonly offsetOfMaxTimestamp: number;
}

/** Checks the framing of buf as whole v2 batches; returns [start, size] pairs. */
export function frameBatches(buf: Buffer): Array<[number, number]> {
  const frames: Array<[number, number]> = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH_HEADER_SIZE) throw new InvalidBatchError(`partial batch header at byte ${pos}`);
    const size = BATCH_OVERHEAD + buf.readInt32BE(pos + 8);
    if (size < BATCH_HEADER_SIZE || pos + size > buf.length) {
      throw new InvalidBatchError(`batch at byte ${pos} declares ${size} bytes, ${buf.length - pos} remain`);
    }
    if (magicOf(buf, pos) !== 2) throw new InvalidBatchError(`batch at byte ${pos} is not magic v2`);
    if (lastOffsetDeltaOf(buf, pos) < 0) throw new InvalidBatchError(`batch at byte ${pos} has a negative lastOffsetDelta`);
    frames.push([pos, size]);
    pos += size;
  }
  if (frames.length === 0) throw new InvalidBatchError('append of zero batches');
  return frames;
}

export function assignOffsets(buf: Buffer, firstOffset: number, logAppendTimeMs?: number): AppendPlan {
  const frames = frameBatches(buf);
  let next = firstOffset;
  for (const [pos] of frames) next += lastOffsetDeltaOf(buf, pos) + 1;
  if (!Number.isSafeInteger(next)) throw new InvalidBatchError(`offsets past ${firstOffset} overflow`);
  if (logAppendTimeMs !== undefined && !Number.isSafeInteger(logAppendTimeMs)) {
    throw new InvalidBatchError(`logAppendTimeMs ${logAppendTimeMs} is not an integer`);
  }
  const batches: BatchInfo[] = [];
  let maxTimestamp = NO_TIMESTAMP;
  let offsetOfMaxTimestamp = -1;
  let offset = firstOffset;
  for (const [pos, size] of frames) {
    setBaseOffset(buf, pos, offset);
    if (logAppendTimeMs !== undefined) setLogAppendTime(buf, pos, logAppendTimeMs);
    const lastOffset = offset + lastOffsetDeltaOf(buf, pos);
    const batchMax = maxTimestampOf(buf, pos);
    if (batchMax > maxTimestamp) {
      maxTimestamp = batchMax;
      offsetOfMaxTimestamp = lastOffset;
    }
    batches.push({ position: pos, size, baseOffset: offset, lastOffset, maxTimestamp: batchMax });
    offset = lastOffset + 1;
  }
  return { batches, baseOffset: firstOffset, lastOffset: offset - 1, bytes: buf.length, maxTimestamp, offsetOfMaxTimestamp };
}

/**
 * The plan of a follower append (replication): batches keep the offsets
 * the leader gave them, in order, at or after `nextOffset` (gaps allowed:
 * compaction removes whole batches on the leader). Nothing is rewritten.
 */
export function keepOffsets(buf: Buffer, nextOffset: number): AppendPlan {
  const frames = frameBatches(buf);
  const batches: BatchInfo[] = [];
  let maxTimestamp = NO_TIMESTAMP;
  let offsetOfMaxTimestamp = -1;
  let expected = nextOffset;
  for (const [pos, size] of frames) {
    const baseOffset = baseOffsetOf(buf, pos);
    if (!Number.isSafeInteger(baseOffset) || baseOffset < expected) {
      throw new InvalidBatchError(`batch at byte ${pos} starts at offset ${baseOffset}, expected ${expected} or later`);
    }
    const lastOffset = baseOffset + lastOffsetDeltaOf(buf, pos);
    const batchMax = maxTimestampOf(buf, pos);
    if (batchMax > maxTimestamp) {
      maxTimestamp = batchMax;
      offsetOfMaxTimestamp = lastOffset;
    }
    batches.push({ position: pos, size, baseOffset, lastOffset, maxTimestamp: batchMax });
    expected = lastOffset + 1;
  }
  const first = batches[0] as BatchInfo;
  return { batches, baseOffset: first.baseOffset, lastOffset: expected - 1, bytes: buf.length, maxTimestamp, offsetOfMaxTimestamp };
}
