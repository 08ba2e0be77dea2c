/**
 * When to roll the active segment before an append, as Kafka's
 * LogSegment.shouldRoll decides it. Pure. `pending*` describe appends of the
 * same write group already placed in the segment but not yet written.
 */
import { MAX_RELATIVE_OFFSET } from './offset-limits.js';

export interface RollInput {
  readonly segmentBaseOffset: number;
  readonly segmentBytes: number;
  readonly pendingBytes: number;
  readonly indexFull: boolean;
  /** Max timestamp of the segment's first batch (written or pending), null when none. */
  readonly rollBaseTimestamp: number | null;
  readonly segmentCreatedMs: number;
  readonly nowMs: number;
  /** The append being placed. */
  readonly appendBytes: number;
  readonly appendLastOffset: number;
  readonly appendMaxTimestamp: number;
}

export interface RollLimits {
  readonly segmentBytes: number;
  readonly segmentMs: number;
}

export function shouldRoll(input: RollInput, limits: RollLimits): boolean {
  // Offsets in the indexes are int32 relative to the base: an empty segment rolls too.
  if (input.appendLastOffset - input.segmentBaseOffset > MAX_RELATIVE_OFFSET) return true;
  const size = input.segmentBytes + input.pendingBytes;
  if (size === 0) return false;
  if (size + input.appendBytes > limits.segmentBytes || input.indexFull) return true;
  // segment.ms counts from the first batch's timestamp when it has one
  // (so it follows record time), else from when the segment was created.
  const base = input.rollBaseTimestamp;
  const waitedMs = base !== null && base >= 0 ? input.appendMaxTimestamp - base : input.nowMs - input.segmentCreatedMs;
  return waitedMs > limits.segmentMs;
}
