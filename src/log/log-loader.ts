/**
 * Opening a partition directory: finds the segments, cleans leftovers, and
 * decides how much to trust what is on disk.
 *
 * - Clean shutdown (the `.kafka_cleanshutdown` marker exists; it is removed
 *   durably before anything else so a crash later is never mistaken for a
 *   clean stop): only the last segment's unindexed tail is scanned (headers)
 *   to find the exact end; older segments load their indexes lazily.
 * - Unclean: every segment from the one holding the checkpointed recovery
 *   point onward is verified batch by batch (framing, CRC-32C, offset order)
 *   and the log is truncated at the first bad or torn batch; later segments
 *   are deleted. Indexes of recovered segments are rebuilt.
 * - A cleaner swap interrupted by a crash is finished when it was committed
 *   (its `.swap` record exists) and rolled back otherwise (segment-swap.ts).
 * - Index files that are missing or inconsistent are rebuilt from the log.
 * - The log start offset comes from the checkpoint, raised to the first
 *   segment's base offset.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { CLEAN_SHUTDOWN_FILE, readCheckpoint } from './checkpoint.js';
import { fileSize, fsyncDir, parseSegmentFileName, type SegmentFileKind, segmentPath, unlinkIfExists } from './file-io.js';
import type { HandleCache } from './handle-cache.js';
import type { LogConfig } from './log-config.js';
import { MAX_RELATIVE_OFFSET } from './offset-limits.js';
import { Segment, type SegmentSettings } from './segment.js';
import { recoverSwaps } from './segment-swap.js';
import { floorSearch } from './sorted-search.js';
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import { TIME_INDEX_ENTRY_BYTES } from './time-index.js';

export interface LoadContext {
  readonly logger: Logger;
  readonly handles: HandleCache;
  readonly nowMs: number;
}

export interface LoadedLog {
  /** Sorted by base offset; the last one is open for appends. */
  readonly segments: Segment[];
  readonly logStartOffset: number;
  readonly cleanShutdown: boolean;
}

export function segmentSettings(config: LogConfig): SegmentSettings {
  return {
    indexIntervalBytes: config.indexIntervalBytes,
    maxOffsetIndexEntries: Math.max(1, Math.floor(config.segmentIndexBytes / OFFSET_INDEX_ENTRY_BYTES)),
    maxTimeIndexEntries: Math.max(1, Math.floor(config.segmentIndexBytes / TIME_INDEX_ENTRY_BYTES)),
  };
}

export async function loadLog(dir: string, config: LogConfig, ctx: LoadContext): Promise<LoadedLog> {
  await mkdir(dir, { recursive: true });
  const cleanShutdown = await unlinkIfExists(join(dir, CLEAN_SHUTDOWN_FILE));
  if (cleanShutdown) await fsyncDir(dir);
  const settings = segmentSettings(config);
  const swaps = await recoverSwaps(dir);
  if (swaps.length > 0) ctx.logger.warn({ dir, swaps }, 'finished cleaner segment swaps interrupted by a crash');
  const files = await scanDir(dir, ctx.logger);
  const checkpoint = await readCheckpoint(dir);
  if (typeof checkpoint === 'string') ctx.logger.warn({ dir, problem: checkpoint }, 'ignoring unreadable log checkpoint');
  const cp = typeof checkpoint === 'string' ? null : checkpoint;

  const bases = [...files.keys()].sort((a, b) => a - b);
  let segments: Segment[] = [];
  for (const [i, base] of bases.entries()) {
    const next = bases[i + 1] ?? base + MAX_RELATIVE_OFFSET + 1;
    const size = await fileSize(segmentPath(dir, base, 'log'));
    segments.push(Segment.existing(dir, base, size, next, settings, ctx.handles, ctx.nowMs));
  }
  if (segments.length === 0) {
    const start = cp?.logStartOffset ?? 0;
    const seg = await Segment.create(dir, start, settings, ctx.handles, ctx.nowMs);
    await fsyncDir(dir);
    return { segments: [seg], logStartOffset: start, cleanShutdown };
  }

  let recoverFrom = segments.length; // nothing recovered on a clean start
  if (!cleanShutdown) {
    recoverFrom = Math.max(0, floorSearch(bases, bases.length, cp?.recoveryPoint ?? 0));
    segments = await recoverSegments(segments, recoverFrom, ctx.logger);
  }
  const last = segments[segments.length - 1] as Segment;
  const problem = await last.activate(ctx.nowMs);
  if (problem !== null) {
    // A torn tail despite the marker (e.g. the marker outlived a crash).
    ctx.logger.warn({ segment: last.logPath, ...problem }, 'log tail is not sound despite clean shutdown; recovering');
    segments = await recoverSegments(segments, segments.length - 1, ctx.logger);
    const again = await last.activate(ctx.nowMs);
    if (again !== null) throw new Error(`segment ${last.logPath} still unsound after recovery`);
  }
  // Rebuild missing index files of the segments recovery did not touch.
  for (const seg of segments.slice(0, Math.min(recoverFrom, segments.length - 1))) {
    const kinds = files.get(seg.baseOffset);
    if (kinds !== undefined && !(kinds.has('index') && kinds.has('timeindex'))) {
      ctx.logger.warn({ segment: seg.logPath }, 'rebuilding missing index files');
      await seg.ensureIndexes();
    }
  }

  const first = segments[0] as Segment;
  let logStartOffset = Math.max(cp?.logStartOffset ?? 0, first.baseOffset);
  const logEndOffset = last.nextOffset;
  if (logStartOffset > logEndOffset) {
    ctx.logger.warn({ dir, logStartOffset, logEndOffset }, 'log start offset beyond log end; starting empty at it');
    for (const seg of segments) await seg.delete();
    segments = [await Segment.create(dir, logStartOffset, settings, ctx.handles, ctx.nowMs)];
    await fsyncDir(dir);
  } else if (logStartOffset < first.baseOffset) {
    logStartOffset = first.baseOffset;
  }
  return { segments, logStartOffset, cleanShutdown };
}

/**
 * Verifies segments[from..] in order; at the first one with a bad batch,
 * truncates it there and deletes every later segment. Returns the survivors.
 */
async function recoverSegments(segments: Segment[], from: number, logger: Logger): Promise<Segment[]> {
  for (let i = from; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    logger.debug({ segment: seg.logPath, bytes: seg.size }, 'recovering segment');
    const outcome = await seg.recover();
    if (outcome.problem === null) continue;
    const dropped = segments.slice(i + 1);
    logger.warn(
      {
        segment: seg.logPath,
        position: outcome.problem.position,
        problem: outcome.problem.problem,
        truncatedBytes: outcome.invalidBytes,
        keptBatches: outcome.batches,
        deletedSegments: dropped.map((s) => s.baseOffset),
        deletedBytes: dropped.reduce((n, s) => n + s.size, 0),
      },
      'recovery truncated the log at a bad batch',
    );
    for (const d of dropped) await d.delete();
    if (dropped.length > 0) await fsyncDir(seg.dir);
    return segments.slice(0, i + 1);
  }
  return segments;
}

/** Segment files by base offset; removes temp files and orphaned indexes. */
async function scanDir(dir: string, logger: Logger): Promise<Map<number, Set<SegmentFileKind>>> {
  const byBase = new Map<number, Set<SegmentFileKind>>();
  const names = await readdir(dir);
  for (const name of names) {
    if (name.endsWith('.tmp') || name.endsWith('.deleted')) {
      await unlinkIfExists(join(dir, name));
      continue;
    }
    const parsed = parseSegmentFileName(name);
    if (parsed === null) continue;
    let kinds = byBase.get(parsed.baseOffset);
    if (kinds === undefined) byBase.set(parsed.baseOffset, (kinds = new Set()));
    kinds.add(parsed.kind);
  }
  for (const [base, kinds] of [...byBase]) {
    if (kinds.has('log')) continue;
    logger.warn({ dir, baseOffset: base }, 'removing index files without a log file');
    for (const kind of kinds) await unlinkIfExists(segmentPath(dir, base, kind));
    byBase.delete(base);
  }
  return byBase;
}
