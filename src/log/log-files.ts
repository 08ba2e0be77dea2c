/**
 * LogFiles: the on-disk side of a PartitionLog, mutated from the log's
 * serial queue (fsync rounds, which run beside it, only advance the
 * recovery point): the segment list, how far writes completed, the recovery
 * point, and the structural operations (roll, truncation, deletion below a
 * new log start, a cleaner swap) together with the checkpoint that records
 * them. PartitionLog decides (offsets, log start, structure version) and
 * queues; these do the I/O.
 *
 * The segment list is replaced, never mutated, so readers can hold a snapshot.
 */
import type { Logger } from 'pino';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CLEAN_SHUTDOWN_FILE, writeCheckpoint } from './checkpoint.js';
import { type CleanedSegment, swapInCleaned } from './cleaner-swap.js';
import type { DeferredDeletes } from './deferred-deletes.js';
import { CorruptLogError } from './errors.js';
import { fsyncDir } from './file-io.js';
import type { HandleCache } from './handle-cache.js';
import type { LogConfig } from './log-config.js';
import { segmentSettings } from './log-loader.js';
import { Segment } from './segment.js';
import { floorSegment } from './segment-queries.js';

/** What LogFiles needs of its log. */
export interface LogFilesContext {
  readonly dir: string;
  readonly logger: Logger;
  readonly handles: HandleCache;
  readonly deletes: DeferredDeletes;
  now(): number;
  config(): LogConfig;
  /** The log start offset as decided (checkpointed with the recovery point). */
  logStartOffset(): number;
}

export class LogFiles {
  readonly #ctx: LogFilesContext;
  /** Sorted by base offset, the active segment last; replaced (never mutated). */
  segments: readonly Segment[] = [];
  /** End offset of completed writes. */
  writtenOffset = 0;
  /** Offsets below this are known durable. */
  recoveryPoint = 0;

  constructor(ctx: LogFilesContext) {
    this.#ctx = ctx;
  }

  get active(): Segment {
    const seg = this.segments[this.segments.length - 1];
    if (seg === undefined) throw new Error(`log ${this.#ctx.dir} has no segment`);
    return seg;
  }

  /** fsyncs every segment open for appends; the writes completed before are then durable. */
  async sync(): Promise<void> {
    const target = this.writtenOffset;
    await Promise.all(this.segments.filter((s) => s.isWritable).map((s) => s.sync()));
    this.recoveryPoint = Math.max(this.recoveryPoint, Math.min(target, this.writtenOffset));
  }

  /**
   * Shutdown: when `keep` (a healthy log, already synced), seals the active
   * segment (index files written) and writes the checkpoint and the
   * clean-shutdown marker; otherwise only stops appends.
   */
  async closeSegments(keep: boolean): Promise<void> {
    for (const seg of this.segments) {
      if (keep) await seg.seal();
      else await seg.close();
    }
    if (!keep) return;
    this.recoveryPoint = this.writtenOffset;
    await this.persistCheckpoint();
    await writeFile(join(this.#ctx.dir, CLEAN_SHUTDOWN_FILE), '');
    await fsyncDir(this.#ctx.dir);
  }

  /** Replaces sources (found at index `at`) by the cleaned segment. */
  async swapIn(at: number, sources: readonly Segment[], cleaned: CleanedSegment): Promise<void> {
    const ctx = this.#ctx;
    const fresh = await swapInCleaned(ctx.dir, sources, cleaned, {
      settings: segmentSettings(ctx.config()),
      handles: ctx.handles,
      nowMs: ctx.now(),
      dispose: (paths) => ctx.deletes.schedule(paths, ctx.now() + ctx.config().fileDeleteDelayMs),
    });
    const segs = this.segments;
    this.segments = [...segs.slice(0, at), fresh, ...segs.slice(at + sources.length)];
  }

  /** Seals the active segment and starts a new one at baseOffset. */
  async roll(baseOffset: number): Promise<Segment> {
    const old = this.active;
    let kept = this.segments;
    if (old.size === 0) {
      kept = kept.slice(0, -1);
      this.segments = kept;
      await old.delete();
    } else {
      await old.seal();
    }
    const seg = await Segment.create(this.#ctx.dir, baseOffset, segmentSettings(this.#ctx.config()), this.#ctx.handles, this.#ctx.now());
    await fsyncDir(this.#ctx.dir);
    this.segments = [...kept, seg];
    // Everything below the new base is in sealed (synced) segments.
    this.recoveryPoint = Math.max(this.recoveryPoint, baseOffset);
    await this.persistCheckpoint();
    this.#ctx.logger.debug({ dir: this.#ctx.dir, baseOffset, previous: old.baseOffset, previousBytes: old.size }, 'rolled segment');
    return seg;
  }

  async truncateSegments(offset: number): Promise<void> {
    const segs = this.segments;
    const idx = Math.max(0, floorSegment(segs, offset));
    const dropped = segs.slice(idx + 1);
    const seg = segs[idx] as Segment;
    this.segments = segs.slice(0, idx + 1);
    for (const d of dropped) await d.delete();
    const problem = await seg.activate(this.#ctx.now());
    if (problem !== null) throw new CorruptLogError(seg.logPath, problem.position, problem.problem);
    const removedBytes = await seg.truncateTo(offset, this.#ctx.now());
    this.writtenOffset = Math.min(this.writtenOffset, offset);
    this.recoveryPoint = Math.min(this.recoveryPoint, seg.nextOffset);
    await this.persistCheckpoint();
    this.#ctx.logger.info(
      { dir: this.#ctx.dir, offset, removedBytes, deletedSegments: dropped.map((d) => d.baseOffset) },
      'truncated log',
    );
  }

  async truncateFully(offset: number): Promise<void> {
    const old = this.segments;
    for (const s of old) await s.delete();
    const seg = await Segment.create(this.#ctx.dir, offset, segmentSettings(this.#ctx.config()), this.#ctx.handles, this.#ctx.now());
    this.segments = [seg];
    await fsyncDir(this.#ctx.dir);
    this.writtenOffset = offset;
    this.recoveryPoint = offset;
    await this.persistCheckpoint();
    this.#ctx.logger.info({ dir: this.#ctx.dir, offset, deletedSegments: old.map((s) => s.baseOffset) }, 'emptied log');
  }

  async deleteBelow(offset: number, reason: string): Promise<void> {
    await this.persistCheckpoint();
    const active = this.active;
    // The active segment is wholly below: start a new one so it can go too.
    if (active.size > 0 && active.nextOffset <= offset) await this.roll(offset);
    const segs = this.segments;
    let n = 0;
    while (n + 1 < segs.length && (segs[n + 1] as Segment).baseOffset <= offset) n++;
    if (n === 0) return;
    const doomed = segs.slice(0, n);
    this.segments = segs.slice(n);
    for (const d of doomed) d.retire();
    const renamed: string[] = [];
    for (const d of doomed) renamed.push(...(await d.renameToDeleted()));
    await fsyncDir(this.#ctx.dir);
    this.#ctx.deletes.schedule(renamed, this.#ctx.now() + this.#ctx.config().fileDeleteDelayMs);
    this.#ctx.logger.info({ dir: this.#ctx.dir, logStartOffset: offset, reason, deletedSegments: doomed.map((d) => d.baseOffset) }, 'deleted old segments');
  }

  persistCheckpoint(): Promise<void> {
    return writeCheckpoint(this.#ctx.dir, { logStartOffset: this.#ctx.logStartOffset(), recoveryPoint: this.recoveryPoint });
  }
}
