/**
 * Retention for one log: gathers what planRetention needs (segment sizes
 * and largest timestamps, loading indexes where needed), decides, and
 * deletes through PartitionLog.deleteRecordsBefore, which moves the log
 * start offset to the first kept segment, checkpoints it and renames the
 * deleted segments' files to `.deleted`.
 *
 * The decision is made synchronously on the log's current segment list
 * right before the call, so appends, rolls or truncations that ran during
 * the index loads are taken into account. The active segment counts with
 * its live largest timestamp; a segment without any record timestamp counts
 * with its file's mtime, as in Kafka.
 */
import { stat } from 'node:fs/promises';
import type { PartitionLog } from './partition-log.js';
import { planRetention, type RetentionPlan, type RetentionSegment } from './retention-plan.js';
import type { Segment } from './segment.js';
import { NO_TIMESTAMP } from './time-index.js';

/** Applies retention; returns the plan carried out, or null when nothing was deleted. */
export async function applyRetention(log: PartitionLog, nowMs: number, highWatermark: number): Promise<RetentionPlan | null> {
  const config = log.config;
  const mtimes = new Map<Segment, number>();
  if (config.cleanupPolicy.delete && config.retentionMs >= 0) {
    // Only a prefix can expire: stop at the first segment still within retention.
    for (const seg of log.segmentList()) {
      await seg.ensureIndexes();
      let ts = seg.maxTimestamp;
      if (ts === NO_TIMESTAMP && !seg.isWritable) {
        ts = (await stat(seg.logPath)).mtimeMs;
        mtimes.set(seg, ts);
      }
      if (ts === NO_TIMESTAMP || nowMs - ts <= config.retentionMs) break;
    }
  }
  if (log.isClosed) return null;
  const segs = log.segmentList();
  const plan = planRetention({
    segments: segs.map((s): RetentionSegment => ({ baseOffset: s.baseOffset, sizeBytes: s.size, largestTimestamp: largest(s, mtimes) })),
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    highWatermark,
    nowMs,
    retentionMs: config.retentionMs,
    retentionBytes: config.retentionBytes,
    deleteEnabled: config.cleanupPolicy.delete,
  });
  if (plan.deleteCount === 0) return null;
  await log.deleteRecordsBefore(plan.newLogStartOffset, plan.reason ?? 'retention');
  return plan;
}

function largest(seg: Segment, mtimes: ReadonlyMap<Segment, number>): number | null {
  if (!seg.indexesLoaded) return null;
  const ts = seg.maxTimestamp;
  if (ts !== NO_TIMESTAMP) return ts;
  return seg.isWritable ? null : (mtimes.get(seg) ?? null);
}
