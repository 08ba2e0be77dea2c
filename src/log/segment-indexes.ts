/**
 * Building a segment's in-memory indexes, three ways:
 * - `decodeIndexes`: from the `.index`/`.timeindex` files of a sealed
 *   segment, validated (null when missing, torn or inconsistent: rebuild);
 * - `rebuildIndexes`: by scanning the whole `.log` (recovery, or files that
 *   could not be used), optionally verifying every batch's CRC;
 * - `scanTail`: the exact end state (next offset, max timestamp, bytes since
 *   the last offset entry, roll base) from the headers after the last offset
 *   index entry, when a segment becomes active again.
 *
 * The active segment's entries live only in memory until it is sealed (the
 * files are written whole then). After an unclean stop the active segment
 * is always at or after the checkpointed recovery point, so recovery
 * rebuilds its indexes from the log; nothing depends on its index files.
 *
 * No state of its own: reads go through the handle given.
 */
import type { FileHandle } from 'node:fs/promises';
import { BatchScanner, type ScanProblem } from './batch-scanner.js';
import { EMPTY_CURSOR, type IndexCursor, planIndexEntries } from './index-plan.js';
import { OffsetIndex } from './offset-index.js';
import { MAX_RELATIVE_OFFSET } from './offset-limits.js';
import { NO_TIMESTAMP, TimeIndex } from './time-index.js';

export interface SegmentSettings {
  readonly indexIntervalBytes: number;
  readonly maxOffsetIndexEntries: number;
  readonly maxTimeIndexEntries: number;
}

export interface Indexes {
  readonly offsets: OffsetIndex;
  readonly times: TimeIndex;
}

/** What a full scan of the log file found. */
export interface ScanOutcome {
  /** Bytes of sound batches from the start of the file. */
  readonly validBytes: number;
  /** Bytes after them (dropped by recovery). */
  readonly invalidBytes: number;
  readonly problem: ScanProblem | null;
  readonly batches: number;
}

/** What index building needs to know of the segment. */
export interface SegmentShape {
  readonly baseOffset: number;
  readonly settings: SegmentSettings;
  /** Bytes of the log file to consider. */
  readonly size: number;
  /** Exact next offset, or an upper bound. */
  readonly nextOffset: number;
}

/** The exact end state of a segment's data. */
export interface SegmentEnd {
  readonly cursor: IndexCursor;
  readonly nextOffset: number;
  /** Max timestamp of the first batch (null when empty). */
  readonly rollBaseTimestamp: number | null;
}

export function emptyIndexes(baseOffset: number, settings: SegmentSettings): Indexes {
  return {
    offsets: new OffsetIndex(baseOffset, settings.maxOffsetIndexEntries),
    times: new TimeIndex(baseOffset, settings.maxTimeIndexEntries),
  };
}

/** Indexes from file contents, or null when they must be rebuilt. */
export function decodeIndexes(
  shape: SegmentShape,
  offBytes: Buffer | null,
  timeBytes: Buffer | null,
): { indexes: Indexes; cursor: IndexCursor } | null {
  if (offBytes === null || timeBytes === null) return null;
  const { baseOffset, settings, size, nextOffset } = shape;
  const offsets = OffsetIndex.decode(baseOffset, settings.maxOffsetIndexEntries, offBytes, { logSize: size, nextOffset });
  const times = TimeIndex.decode(baseOffset, settings.maxTimeIndexEntries, timeBytes, { nextOffset });
  if (typeof offsets === 'string' || typeof times === 'string') return null;
  // A time index with no entry for a segment with data was lost or cut short
  // (sealing always records the max timestamp).
  if (times.entries === 0 && size > 0) return null;
  const last = times.last();
  const cursor: IndexCursor = {
    bytesSinceLastEntry: size - (offsets.last()?.position ?? 0),
    maxTimestamp: last?.timestamp ?? NO_TIMESTAMP,
    offsetOfMaxTimestamp: last?.offset ?? -1,
  };
  return { indexes: { offsets, times }, cursor };
}

/** Scans the whole file into fresh indexes; stops at the first bad batch. */
export async function rebuildIndexes(
  fh: FileHandle,
  shape: SegmentShape,
  verify: boolean,
): Promise<{ indexes: Indexes; end: SegmentEnd; outcome: ScanOutcome }> {
  const { baseOffset, settings, size } = shape;
  const indexes = emptyIndexes(baseOffset, settings);
  const { offsets, times } = indexes;
  const scanner = new BatchScanner(fh, 0, size, { verify });
  let cursor = EMPTY_CURSOR;
  let expected = baseOffset;
  let batches = 0;
  let firstMaxTimestamp: number | null = null;
  for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
    if (b.baseOffset < expected || b.lastOffset - baseOffset > MAX_RELATIVE_OFFSET) {
      scanner.reject('bad-offset', b.position);
      break;
    }
    expected = b.lastOffset + 1;
    batches++;
    firstMaxTimestamp ??= b.maxTimestamp;
    const plan = planIndexEntries(cursor, [b], settings.indexIntervalBytes, {
      offsetEntries: offsets.maxEntries - offsets.entries,
      timeEntries: times.maxEntries - times.entries,
      lastIndexedTimestamp: times.lastTimestamp,
    });
    for (const e of plan.offsetEntries) offsets.append(e.offset, e.position);
    for (const e of plan.timeEntries) times.maybeAppend(e.timestamp, e.offset);
    cursor = plan.cursor;
  }
  // The final max timestamp, as a sealed segment records it.
  times.maybeAppend(cursor.maxTimestamp, cursor.offsetOfMaxTimestamp);
  const validBytes = scanner.position;
  return {
    indexes,
    end: { cursor, nextOffset: expected, rollBaseTimestamp: firstMaxTimestamp },
    outcome: { validBytes, invalidBytes: size - validBytes, problem: scanner.problem, batches },
  };
}

/**
 * The exact end state from a header scan after the last offset index entry
 * (batches before it are covered by the time index), or the problem found.
 */
export async function scanTail(fh: FileHandle, shape: SegmentShape, indexes: Indexes): Promise<SegmentEnd | ScanProblem> {
  const { baseOffset, size } = shape;
  const start = indexes.offsets.last()?.position ?? 0;
  const lastTime = indexes.times.last();
  let maxTimestamp = lastTime?.timestamp ?? NO_TIMESTAMP;
  let offsetOfMaxTimestamp = lastTime?.offset ?? -1;
  let next = baseOffset;
  let firstMax: number | null = null;
  if (size > 0 && start > 0) firstMax = (await new BatchScanner(fh, 0, size).next())?.maxTimestamp ?? null;
  const scanner = new BatchScanner(fh, start, size);
  for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
    if (b.baseOffset < next || b.lastOffset - baseOffset > MAX_RELATIVE_OFFSET) {
      scanner.reject('bad-offset', b.position);
      break;
    }
    firstMax ??= b.maxTimestamp;
    next = b.lastOffset + 1;
    if (b.maxTimestamp > maxTimestamp) {
      maxTimestamp = b.maxTimestamp;
      offsetOfMaxTimestamp = b.lastOffset;
    }
  }
  if (scanner.problem !== null) return scanner.problem;
  return {
    cursor: { bytesSinceLastEntry: size - start, maxTimestamp, offsetOfMaxTimestamp },
    nextOffset: next,
    rollBaseTimestamp: firstMax,
  };
}

export function isScanProblem(x: SegmentEnd | ScanProblem): x is ScanProblem {
  return 'problem' in x;
}
