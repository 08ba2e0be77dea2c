/**
 * The log cleaner's pure decisions, as Kafka's LogCleanerManager and
 * Cleaner make them:
 *
 * - planCleaning: the cleanable range of one log. The clean part runs from
 *   the log start to the first dirty offset (the cleaner checkpoint); the
 *   dirty part from there to the first uncleanable offset, the least of the
 *   active segment's base (never cleaned), the high watermark (the broker
 *   passes the last stable offset, so open transactions stay), and the base
 *   of the first dirty segment younger than min.compaction.lag.ms (by its
 *   largest timestamp). The dirty ratio is dirty bytes over clean + dirty
 *   bytes of the segments overlapping each part; a log is cleaned when the
 *   ratio exceeds min.cleanable.dirty.ratio, or when its oldest dirty
 *   segment is older than max.compaction.lag.ms.
 * - groupSegments: consecutive cleanable segments merged into one cleaned
 *   segment while their total size fits segment.bytes, their index entries
 *   fit segment.index.bytes, and their offsets fit the index's int32
 *   relative offsets.
 * - retainRecord: a record stays when it is the newest for its key in the
 *   cleaned range (the offset map holds the newest dirty offset per key), or
 *   lies at or past the end of the mapped range; a tombstone (null value)
 *   that is the newest for its key stays until its segment is older than
 *   delete.retention.ms. Records without a key stay: Kafka refuses them at
 *   produce time for compacted topics (and its cleaner drops any it finds),
 *   but Krill's produce path does not check keys yet, so dropping them
 *   would lose acknowledged records.
 */
import { MAX_RELATIVE_OFFSET } from './offset-limits.js';

export interface CleanerSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Newest record timestamp; null when unknown (treated as too young to clean). */
  readonly largestTimestamp: number | null;
}

export interface CleaningInput {
  /** Oldest first; the last one is the active segment. */
  readonly segments: readonly CleanerSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  /** The cleaner checkpoint (end of the last cleaning), null when none. */
  readonly checkpoint: number | null;
  readonly nowMs: number;
  readonly minCleanableDirtyRatio: number;
  readonly minCompactionLagMs: number;
  readonly maxCompactionLagMs: number;
}

export interface CleaningPlan {
  readonly firstDirtyOffset: number;
  readonly firstUncleanableOffset: number;
  readonly cleanBytes: number;
  readonly dirtyBytes: number;
  /** dirtyBytes / (cleanBytes + dirtyBytes), 0 for an empty log. */
  readonly dirtyRatio: number;
  /** The oldest dirty segment is past max.compaction.lag.ms. */
  readonly needCompactionNow: boolean;
  readonly shouldClean: boolean;
  /** How many of the oldest segments a cleaning rewrites (those starting below the first uncleanable offset). */
  readonly cleanableSegments: number;
}

export function planCleaning(input: CleaningInput): CleaningPlan {
  const segs = input.segments;
  const active = segs[segs.length - 1];
  const cp = input.checkpoint;
  const firstDirty = cp === null || cp < input.logStartOffset || cp > input.logEndOffset ? input.logStartOffset : cp;
  let uncleanable = Math.min(active?.baseOffset ?? input.logEndOffset, input.highWatermark);
  let oldestDirty: number | null = null;
  for (let i = 0; i + 1 < segs.length; i++) {
    const seg = segs[i] as CleanerSegment;
    const next = segs[i + 1] as CleanerSegment;
    if (next.baseOffset <= firstDirty || seg.baseOffset >= uncleanable) continue;
    const ts = seg.largestTimestamp;
    oldestDirty ??= ts;
    if (ts === null || (input.minCompactionLagMs > 0 && ts > input.nowMs - input.minCompactionLagMs)) {
      uncleanable = Math.min(uncleanable, Math.max(seg.baseOffset, firstDirty));
      break;
    }
  }
  uncleanable = Math.max(uncleanable, firstDirty);
  const cleanBytes = overlapBytes(segs, input.logEndOffset, Number.NEGATIVE_INFINITY, firstDirty);
  const dirtyBytes = uncleanable > firstDirty ? overlapBytes(segs, input.logEndOffset, firstDirty, uncleanable) : 0;
  const total = cleanBytes + dirtyBytes;
  const dirtyRatio = total > 0 ? dirtyBytes / total : 0;
  const needCompactionNow =
    dirtyBytes > 0 && oldestDirty !== null && input.maxCompactionLagMs < Number.MAX_SAFE_INTEGER && input.nowMs - oldestDirty > input.maxCompactionLagMs;
  const shouldClean = dirtyBytes > 0 && (needCompactionNow || dirtyRatio > input.minCleanableDirtyRatio);
  let cleanableSegments = 0;
  while (cleanableSegments + 1 < segs.length && (segs[cleanableSegments] as CleanerSegment).baseOffset < uncleanable) cleanableSegments++;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: uncleanable,
    cleanBytes,
    dirtyBytes,
    dirtyRatio,
    needCompactionNow,
    shouldClean,
    cleanableSegments,
  };
}

/** Bytes of the segments overlapping [from, to) (a segment spans [base, next base)). */
function overlapBytes(segs: readonly CleanerSegment[], logEndOffset: number, from: number, to: number): number {
  let bytes = 0;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as CleanerSegment;
    const end = segs[i + 1]?.baseOffset ?? logEndOffset;
    if (seg.baseOffset < to && end > from) bytes += seg.sizeBytes;
  }
  return bytes;
}

export interface GroupableSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Base offset of the segment after it (its offsets are below this). */
  readonly endOffset: number;
  readonly offsetIndexEntries: number;
  readonly timeIndexEntries: number;
}

export interface GroupLimits {
  readonly maxBytes: number;
  readonly maxOffsetIndexEntries: number;
  readonly maxTimeIndexEntries: number;
}

/** Splits segments into runs, each cleaned into one segment. Returns the run lengths. */
export function groupSegments(segs: readonly GroupableSegment[], limits: GroupLimits): number[] {
  const groups: number[] = [];
  let i = 0;
  while (i < segs.length) {
    const first = segs[i] as GroupableSegment;
    let bytes = first.sizeBytes;
    let offsetEntries = first.offsetIndexEntries;
    let timeEntries = first.timeIndexEntries;
    let n = 1;
    for (; i + n < segs.length; n++) {
      const s = segs[i + n] as GroupableSegment;
      const fits =
        bytes + s.sizeBytes <= limits.maxBytes &&
        offsetEntries + s.offsetIndexEntries <= limits.maxOffsetIndexEntries &&
        timeEntries + s.timeIndexEntries <= limits.maxTimeIndexEntries &&
        (s.sizeBytes === 0 || s.endOffset - 1 - first.baseOffset <= MAX_RELATIVE_OFFSET);
      if (!fits) break;
      bytes += s.sizeBytes;
      offsetEntries += s.offsetIndexEntries;
      timeEntries += s.timeIndexEntries;
    }
    groups.push(n);
    i += n;
  }
  return groups;
}

export interface RetainContext {
  /** Records at or past this offset were not mapped and always stay. */
  readonly mapEnd: number;
  /** The record's segment is older than delete.retention.ms: its newest tombstones may go. */
  readonly dropTombstones: boolean;
}

/**
 * Whether a data record survives cleaning. `newest` is the offset map's
 * entry for the record's key (undefined when the key is not in the map).
 */
export function retainRecord(offset: number, hasKey: boolean, isTombstone: boolean, newest: number | undefined, ctx: RetainContext): boolean {
  if (offset >= ctx.mapEnd || !hasKey) return true;
  if (newest !== undefined && offset < newest) return false;
  return !(isTombstone && ctx.dropTombstones);
}
