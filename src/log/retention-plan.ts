/**
 * Which old segments retention deletes: a pure decision, as Kafka's
 * UnifiedLog.deleteOldSegments makes it. Three rules run in order, each on
 * what the previous left, and each deletes a prefix of the log:
 *
 * 1. retention.ms: a segment whose largest timestamp is more than
 *    retention.ms before now (its newest record has expired).
 * 2. retention.bytes: while the log minus the oldest segment is still at
 *    least retention.bytes (size - segment size >= retention.bytes).
 * 3. log start offset: a segment wholly below the log start offset
 *    (DeleteRecords moved it past the segment's end).
 *
 * Rules 1 and 2 apply only with cleanup.policy containing `delete`; -1
 * disables either. A segment is deletable only when every offset in it is
 * below the high watermark, and never when it is the last segment and empty.
 * The last (active) segment may go: the log then rolls a new, empty one at
 * the log end offset, as Kafka does. An unknown largest timestamp (indexes
 * not loaded) stops rule 1 at that segment.
 */

export interface RetentionSegment {
  readonly baseOffset: number;
  readonly sizeBytes: number;
  /** Newest record timestamp (file mtime when no record has one); null when unknown. */
  readonly largestTimestamp: number | null;
}

export interface RetentionInput {
  /** Oldest first; the last one is the active segment. */
  readonly segments: readonly RetentionSegment[];
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly nowMs: number;
  readonly retentionMs: number;
  readonly retentionBytes: number;
  /** cleanup.policy contains `delete`. */
  readonly deleteEnabled: boolean;
}

export type RetentionReason = 'retention.ms' | 'retention.bytes' | 'log-start-offset';

export interface RetentionPlan {
  /** How many of the oldest segments to delete (0: nothing to do). */
  readonly deleteCount: number;
  /** The log start offset after the deletion (never lower than before). */
  readonly newLogStartOffset: number;
  /** The rule that deleted the first segment, or null. */
  readonly reason: RetentionReason | null;
}

type Predicate = (seg: RetentionSegment, next: RetentionSegment | undefined) => boolean;

export function planRetention(input: RetentionInput): RetentionPlan {
  const segs = input.segments;
  let from = 0;
  let reason: RetentionReason | null = null;
  const take = (rule: RetentionReason, pred: Predicate): void => {
    const n = deletablePrefix(input, from, pred);
    if (n > 0 && reason === null) reason = rule;
    from += n;
  };
  if (input.deleteEnabled && input.retentionMs >= 0) {
    take('retention.ms', (s) => s.largestTimestamp !== null && input.nowMs - s.largestTimestamp > input.retentionMs);
  }
  if (input.deleteEnabled && input.retentionBytes >= 0) {
    let excess = segs.slice(from).reduce((n, s) => n + s.sizeBytes, 0) - input.retentionBytes;
    if (excess > 0) {
      take('retention.bytes', (s) => {
        if (excess - s.sizeBytes < 0) return false;
        excess -= s.sizeBytes;
        return true;
      });
    }
  }
  take('log-start-offset', (_s, next) => next !== undefined && next.baseOffset <= input.logStartOffset);
  if (from === 0) return { deleteCount: 0, newLogStartOffset: input.logStartOffset, reason: null };
  const firstKept = segs[from]?.baseOffset ?? input.logEndOffset;
  return { deleteCount: from, newLogStartOffset: Math.max(input.logStartOffset, firstKept), reason };
}

/** Segments from `from` on that satisfy pred, stopping at the first that does not or is not deletable. */
function deletablePrefix(input: RetentionInput, from: number, pred: Predicate): number {
  const segs = input.segments;
  let n = 0;
  for (let i = from; i < segs.length; i++) {
    const seg = segs[i] as RetentionSegment;
    const next = segs[i + 1];
    const upperBound = next?.baseOffset ?? input.logEndOffset;
    const lastAndEmpty = next === undefined && seg.sizeBytes === 0;
    if (input.highWatermark < upperBound || lastAndEmpty || !pred(seg, next)) break;
    n++;
  }
  return n;
}
