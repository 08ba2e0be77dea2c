/**
 * When to add sparse index entries, as Kafka's LogSegment.append does it:
 * walking the appended batches in order, a batch gets an offset index entry
 * (its last offset -> its start position) when more than indexIntervalBytes
 * were appended since the previous entry; at the same moment the time index
 * gets (max timestamp so far, last offset of the batch holding it) if that
 * timestamp grew since the last time entry.
 *
 * Pure: the segment plans entries before the write and applies them after,
 * so readers never see an entry pointing past the written bytes.
 */
import type { OffsetPosition } from './offset-index.js';
import type { TimestampOffset } from './time-index.js';

export interface BatchInfo {
  /** Start of the batch in the segment file. */
  readonly position: number;
  readonly size: number;
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly maxTimestamp: number;
}

export interface IndexCursor {
  /** Bytes appended since the last offset index entry. */
  readonly bytesSinceLastEntry: number;
  /** Largest batch max timestamp in the segment so far (NO_TIMESTAMP when none). */
  readonly maxTimestamp: number;
  /** Last offset of the first batch that carried maxTimestamp (-1 when none). */
  readonly offsetOfMaxTimestamp: number;
}

export interface IndexRoom {
  /** Entries the offset index can still take before it is full. */
  readonly offsetEntries: number;
  /** Entries the time index can still take before it is full. */
  readonly timeEntries: number;
  /** Timestamp of the last time index entry (NO_TIMESTAMP when empty). */
  readonly lastIndexedTimestamp: number;
}

export interface IndexPlan {
  readonly offsetEntries: OffsetPosition[];
  readonly timeEntries: TimestampOffset[];
  readonly cursor: IndexCursor;
}

export const EMPTY_CURSOR: IndexCursor = { bytesSinceLastEntry: 0, maxTimestamp: -1, offsetOfMaxTimestamp: -1 };

export function planIndexEntries(
  cursor: IndexCursor,
  batches: readonly BatchInfo[],
  indexIntervalBytes: number,
  room: IndexRoom,
): IndexPlan {
  const offsetEntries: OffsetPosition[] = [];
  const timeEntries: TimestampOffset[] = [];
  let { bytesSinceLastEntry, maxTimestamp, offsetOfMaxTimestamp } = cursor;
  let lastIndexedTimestamp = room.lastIndexedTimestamp;
  for (const b of batches) {
    if (b.maxTimestamp > maxTimestamp) {
      maxTimestamp = b.maxTimestamp;
      offsetOfMaxTimestamp = b.lastOffset;
    }
    if (bytesSinceLastEntry > indexIntervalBytes) {
      // A full index skips entries: the index stays correct, only sparser,
      // and the next append rolls the segment.
      if (offsetEntries.length < room.offsetEntries) {
        offsetEntries.push({ offset: b.lastOffset, position: b.position });
      }
      if (maxTimestamp > lastIndexedTimestamp && timeEntries.length < room.timeEntries) {
        timeEntries.push({ timestamp: maxTimestamp, offset: offsetOfMaxTimestamp });
        lastIndexedTimestamp = maxTimestamp;
      }
      bytesSinceLastEntry = 0;
    }
    bytesSinceLastEntry += b.size;
  }
  return { offsetEntries, timeEntries, cursor: { bytesSinceLastEntry, maxTimestamp, offsetOfMaxTimestamp } };
}
