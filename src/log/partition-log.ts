/**
 * PartitionLog: the ordered, segmented log of one partition replica.
 *
 * Owns: log start offset (checkpointed), log end offset, the decisions on
 * the segments (whose list, completed writes and recovery point live in
 * LogFiles, changed on the queue), fsync batching. Not here: high
 * watermark, ISR, producer state (the replication and txn layers build on
 * `read`'s `maxOffset` and on append results).
 *
 * Concurrency model (one owner, decide synchronously, then do the I/O):
 * - `append`, `truncateTo` and `deleteRecordsBefore` decide at call time:
 *   offsets are assigned and the log end / start offset move before the
 *   method returns its promise, so concurrent appends get consecutive
 *   offsets. Their I/O then runs on one serial queue, in call order.
 * - `read`, `offsetForTimestamp` and `flush` run alongside the queue; reads
 *   only see bytes whose write completed.
 * - `flush` is group-committed: concurrent calls share one fsync (the
 *   LogManager's broker-wide LogFlusher, or this log's GroupCommit).
 * - Appends write into the page cache synchronously once their turn on the
 *   queue comes (append-queue.ts, Segment.append); fsync is asynchronous.
 * - An I/O error during a write marks the log failed (Kafka takes the log dir
 *   offline); appends are refused until it is reopened and recovered.
 * - Segments leaving the log by retention, DeleteRecords or cleaning are
 *   retired (reads through them retry on the new list) and their files
 *   renamed to `.deleted`, removed after file.delete.delay.ms.
 * - `structureVersion` changes whenever existing segments change
 *   (truncation, deletion, a cleaner swap), so the cleaner can tell whether
 *   the segments it cleaned are still the log's.
 *
 * Offsets are JS numbers (safe integers) throughout.
 */
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Logger, pino } from 'pino';
import { type AppendPlan, assignOffsets, keepOffsets } from './append-plan.js';
import { AppendQueue } from './append-queue.js';
import {
  KeylessRecordError,
  LogClosedError,
  LogFailedError,
  OffsetOutOfRangeError,
  RecordBatchTooLargeError,
} from './errors.js';
import { GroupCommit } from './group-commit.js';
import { HandleCache } from './handle-cache.js';
import { keylessRecordIndexes } from './key-check.js';
import type { AppendOptions, AppendResult, PartitionLogOptions, ReadOptions, ReadResult, TimestampAndOffset } from './partition-log-types.js';
import type { LogFlusher } from './log-flusher.js';
import type { LogConfig } from './log-config.js';
import { DeferredDeletes } from './deferred-deletes.js';
import { loadLog } from './log-loader.js';
import { abandonCleaned, type CleanedSegment } from './cleaner-swap.js';
import { LogFiles } from './log-files.js';
import type { Segment } from './segment.js';
import { checkOffset, findMaxTimestamp, findOffsetForTimestamp, readSegments, retryingRead } from './segment-queries.js';
import { SerialQueue } from './serial-queue.js';

export type { AppendOptions, AppendResult, PartitionLogOptions, ReadOptions, ReadResult, TimestampAndOffset } from './partition-log-types.js';

const EMPTY = Buffer.alloc(0);
export class PartitionLog {
  readonly #dir: string;
  #config: LogConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #handles: HandleCache;
  readonly #ownsHandles: boolean;
  readonly #deletes: DeferredDeletes;
  #version = 0;
  readonly #queue = new SerialQueue();
  /** Per-log group commit, used when no broker-wide flusher is given. */
  readonly #commit: GroupCommit;
  readonly #flusher: LogFlusher | null;
  readonly #appends: AppendQueue;
  #syncRuns = 0;
  /** Segments, completed writes, recovery point: changed only on the queue. */
  readonly #files: LogFiles;
  #logStartOffset: number;
  /** Log end offset: advanced when an append is accepted, before its write. */
  #nextOffset: number;
  #lastFlushMs: number;
  #closed = false;
  #closing: Promise<void> | null = null;
  #failed: unknown = null;

  private constructor(dir: string, config: LogConfig, logger: Logger, now: () => number, handles: HandleCache, owns: boolean, options: PartitionLogOptions) {
    const deletes = options.deletes ?? new DeferredDeletes();
    this.#dir = dir;
    this.#deletes = deletes;
    this.#config = config;
    this.#logger = logger;
    this.#now = now;
    this.#handles = handles;
    this.#ownsHandles = owns;
    this.#commit = new GroupCommit(() => this.#syncAll());
    this.#flusher = options.flusher ?? null;
    this.#appends = new AppendQueue({
      queue: this.#queue,
      active: () => this.#files.active,
      config: () => this.#config,
      now: () => this.#now(),
      roll: (baseOffset) => this.#files.roll(baseOffset),
      written: (lastOffset) => {
        this.#files.writtenOffset = lastOffset + 1;
      },
      guard: (io) => this.#guard(io),
    });
    this.#files = new LogFiles({
      dir,
      logger,
      handles,
      deletes,
      now,
      config: () => this.#config,
      logStartOffset: () => this.#logStartOffset,
    });
    this.#logStartOffset = 0;
    this.#nextOffset = 0;
    this.#lastFlushMs = now();
  }

  /** Opens (creating if needed) the log in dir, recovering it after an unclean shutdown. */
  static async open(dir: string, config: LogConfig, logger?: Logger, options: PartitionLogOptions = {}): Promise<PartitionLog> {
    const now = options.now ?? Date.now;
    const owns = options.handles === undefined;
    const handles = options.handles ?? new HandleCache();
    const log = new PartitionLog(dir, config, logger ?? pino({ level: 'silent' }), now, handles, owns, options);
    const loaded = await loadLog(dir, config, { logger: log.#logger, handles, nowMs: now() });
    log.#files.segments = loaded.segments;
    log.#logStartOffset = loaded.logStartOffset;
    log.#nextOffset = log.#files.active.nextOffset;
    log.#files.writtenOffset = log.#nextOffset;
    log.#files.recoveryPoint = log.#nextOffset;
    log.#logger.debug(
      { dir, logStartOffset: log.#logStartOffset, logEndOffset: log.#nextOffset, segments: loaded.segments.length, clean: loaded.cleanShutdown },
      'log opened',
    );
    return log;
  }

  get dir(): string {
    return this.#dir;
  }

  get config(): LogConfig {
    return this.#config;
  }

  get logStartOffset(): number {
    return this.#logStartOffset;
  }

  /** Offset the next accepted append gets. */
  get logEndOffset(): number {
    return this.#nextOffset;
  }

  /** Bytes of completed writes over all segments. */
  get size(): number {
    let total = 0;
    for (const s of this.#files.segments) total += s.size;
    return total;
  }

  /** Offsets below this are known durable. */
  get recoveryPoint(): number {
    return this.#files.recoveryPoint;
  }

  get unflushedMessages(): number {
    return Math.max(0, this.#files.writtenOffset - this.#files.recoveryPoint);
  }

  get lastFlushMs(): number {
    return this.#lastFlushMs;
  }

  /** Number of fsync rounds started (for tests and metrics). */
  get fsyncCount(): number {
    return this.#syncRuns;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.#files.segments.map((s) => s.baseOffset);
  }

  /** The current segments, oldest first, the active one last (for retention and the cleaner; do not mutate). */
  segmentList(): readonly Segment[] {
    return this.#files.segments;
  }

  /** Changes whenever existing segments are truncated, deleted or replaced. */
  get structureVersion(): number {
    return this.#version;
  }

  /** New settings apply to later decisions (rolls, flushes); existing segments keep their index capacity. */
  updateConfig(config: LogConfig): void {
    this.#config = config;
  }

  /**
   * Appends one or more consecutive, validated v2 batches (refused with
   * KeylessRecordError when the log is compacted and a record has no key,
   * unless this is a follower append). Offsets are
   * assigned now by rewriting each batch's baseOffset in `batches` (the
   * caller's buffer is modified and must not change until the promise
   * settles); the bytes are written on the log's queue.
   */
  append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    let plan: AppendPlan;
    try {
      this.#checkWritable();
      if (batches.length > this.#config.segmentBytes) {
        throw new RecordBatchTooLargeError(batches.length, this.#config.segmentBytes);
      }
      if (!opts.keepOffsets && this.#config.cleanupPolicy.compact) {
        const keyless = keylessRecordIndexes(batches);
        if (keyless.length > 0) throw new KeylessRecordError(basename(this.#dir), keyless);
      }
      plan = opts.keepOffsets ? keepOffsets(batches, this.#nextOffset) : assignOffsets(batches, this.#nextOffset, opts.logAppendTimeMs);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#nextOffset = plan.lastOffset + 1;
    const written = new Promise<void>((resolve, reject) => this.#appends.enqueue({ buf: batches, plan, resolve, reject }));
    return written.then(async () => {
      if (this.unflushedMessages >= this.#config.flushIntervalMessages) await this.flush();
      return {
        baseOffset: plan.baseOffset,
        lastOffset: plan.lastOffset,
        maxTimestamp: plan.maxTimestamp,
        offsetOfMaxTimestamp: plan.offsetOfMaxTimestamp,
        logStartOffset: this.#logStartOffset,
      };
    });
  }

  /**
   * Reads whole batches starting with the one holding `offset`, from a single
   * segment: up to maxBytes, but the first batch whole when minOneBatch
   * (default) even if larger; never a batch reaching maxOffset. Empty at the
   * log end. Throws OffsetOutOfRangeError outside [logStartOffset, logEndOffset].
   */
  read(offset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    const minOneBatch = opts.minOneBatch ?? true;
    const maxOffset = opts.maxOffset ?? Number.POSITIVE_INFINITY;
    return this.#retryingRead(async () => {
      const logStartOffset = this.#logStartOffset;
      const logEndOffset = this.#nextOffset;
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes ${maxBytes} is not a non-negative integer`);
      if (!Number.isSafeInteger(offset) || offset < logStartOffset || offset > logEndOffset) {
        throw new OffsetOutOfRangeError(offset, logStartOffset, logEndOffset, this.#dir);
      }
      if (offset === logEndOffset) return { records: EMPTY, logStartOffset, logEndOffset };
      const records = await readSegments(this.#files.segments, offset, maxBytes, minOneBatch, maxOffset);
      return { records, logStartOffset, logEndOffset };
    });
  }

  /**
   * The first batch at or after the log start whose max timestamp is >= ts:
   * `offset` is that batch's base offset (raised to the log start offset) and
   * `timestamp` its max timestamp. Batch granularity, because this layer does
   * not decode records: exact for LogAppendTime batches and single-record
   * batches; for CreateTime batches the earliest record with timestamp >= ts
   * is at or after `offset` within the same batch. Null if no batch qualifies.
   */
  offsetForTimestamp(ts: number): Promise<TimestampAndOffset | null> {
    return this.#retryingRead(() => findOffsetForTimestamp(this.#files.segments, this.#logStartOffset, ts));
  }

  /**
   * Largest batch max timestamp in the log and the last offset of the first
   * batch carrying it (batch granularity), or null when no batch has a timestamp.
   */
  maxTimestampAndOffset(): Promise<TimestampAndOffset | null> {
    return this.#retryingRead(() => findMaxTimestamp(this.#files.segments));
  }

  /**
   * Runs a read against the current segments. A segment deleted under it
   * (truncation, log start moves) shows as ENOENT: retry on the new segment
   * list, whose range checks then apply. Other I/O errors become LogIoError.
   */
  #retryingRead<T>(attempt: () => Promise<T>): Promise<T> {
    // A failed log is offline for reads too, as Kafka takes its log dir offline.
    return retryingRead(this.#dir, attempt, () => this.#checkWritable(), () => this.#queue.idle());
  }

  /**
   * fsyncs the writes completed so far. Concurrent calls share syncs: through
   * the LogManager's broker-wide LogFlusher, or in this log's own group
   * commit.
   */
  flush(): Promise<void> {
    if (this.#failed !== null) return Promise.reject(new LogFailedError(this.#dir, this.#failed));
    if (this.#closed && this.#closing !== null) return this.#closing;
    if (this.#flusher !== null) return this.#flusher.request(this, () => this.#syncAll());
    return this.#commit.run();
  }

  /**
   * Drops every offset >= offset (replication truncation). A batch holding
   * `offset` is dropped whole; the log end offset becomes `offset` either
   * way, as in Kafka. Below the log start offset, the log is emptied and
   * restarts at `offset`.
   */
  truncateTo(offset: number): Promise<void> {
    try {
      this.#checkWritable();
      checkOffset(offset);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#appends.cut(); // later appends go after this truncation
    if (offset >= this.#nextOffset) return this.#queue.run(() => Promise.resolve());
    this.#version++;
    const full = offset < this.#logStartOffset;
    this.#nextOffset = offset;
    if (full) this.#logStartOffset = offset;
    return this.#queue.run(() => this.#guard(() => (full ? this.#files.truncateFully(offset) : this.#files.truncateSegments(offset))));
  }

  /** Empties the log and restarts it at `offset` (a follower whose log end is below the leader's log start). */
  truncateFullyAndStartAt(offset: number): Promise<void> {
    try {
      this.#checkWritable();
      checkOffset(offset);
    } catch (err) {
      return Promise.reject(err);
    }
    this.#appends.cut();
    this.#version++;
    this.#nextOffset = offset;
    this.#logStartOffset = offset;
    return this.#queue.run(() => this.#guard(() => this.#files.truncateFully(offset)));
  }

  /**
   * Advances the log start offset to `offset` (DeleteRecords, or retention
   * with the base of the first segment it keeps) and deletes the segments
   * wholly below it. The new start is checkpointed before any file goes.
   */
  deleteRecordsBefore(offset: number, reason = 'delete-records'): Promise<void> {
    try {
      this.#checkWritable();
      checkOffset(offset);
      if (offset > this.#nextOffset) {
        throw new OffsetOutOfRangeError(offset, this.#logStartOffset, this.#nextOffset, this.#dir);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    this.#appends.cut();
    const start = Math.max(offset, this.#logStartOffset);
    // Segments left below the start (e.g. by a crash before their deletion) go too.
    const stale = (this.#files.segments[1]?.baseOffset ?? Number.POSITIVE_INFINITY) <= start;
    if (start === this.#logStartOffset && !stale) return this.#queue.run(() => Promise.resolve());
    this.#logStartOffset = start;
    this.#version++;
    return this.#queue.run(() => this.#guard(() => this.#files.deleteBelow(start, reason)));
  }

  /**
   * Replaces `sources` (consecutive sealed segments) by the cleaned segment
   * written at `cleaned.path`, on the log's queue. Returns the new
   * structure version; refused (null, the cleaned file removed) when the log
   * changed since `version`.
   */
  replaceSegments(sources: readonly Segment[], cleaned: CleanedSegment, version: number): Promise<number | null> {
    return this.#queue.run(() =>
      this.#guard(async () => {
        const segs = this.#files.segments;
        const at = segs.indexOf(sources[0] as Segment);
        const current = at >= 0 && this.#version === version && !this.#closed && sources.every((s, i) => segs[at + i] === s);
        const next = segs[at + sources.length];
        if (!current || next === undefined || next.baseOffset !== cleaned.endOffset) {
          await abandonCleaned(cleaned);
          return null;
        }
        await this.#files.swapIn(at, sources, cleaned);
        return ++this.#version;
      }),
    );
  }

  /** Waits for queued writes, fsyncs, writes the clean-shutdown marker and closes every handle. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown(true);
    return this.#closing;
  }

  /** Closes the log and removes its directory. */
  async deleteLog(): Promise<void> {
    this.#closing ??= this.#shutdown(false);
    await this.#closing;
    await rm(this.#dir, { recursive: true, force: true });
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogClosedError(this.#dir);
  }

  #checkWritable(): void {
    this.#checkOpen();
    if (this.#failed !== null) throw new LogFailedError(this.#dir, this.#failed);
  }

  /** Runs queued I/O; any failure marks the log failed. */
  async #guard<T>(io: () => Promise<T>): Promise<T> {
    if (this.#failed !== null) throw new LogFailedError(this.#dir, this.#failed);
    try {
      return await io();
    } catch (err) {
      this.#failed = err;
      this.#logger.error({ dir: this.#dir, err }, 'log write failed; refusing further appends');
      throw new LogFailedError(this.#dir, err);
    }
  }

  /** One fsync round: sync every segment still open for appends. */
  async #syncAll(): Promise<void> {
    this.#syncRuns++;
    try {
      await this.#files.sync();
    } catch (err) {
      this.#failed ??= err;
      this.#logger.error({ dir: this.#dir, err }, 'fsync failed; refusing further appends');
      throw new LogFailedError(this.#dir, err);
    }
    this.#lastFlushMs = this.#now();
  }

  async #shutdown(clean: boolean): Promise<void> {
    this.#closed = true;
    await this.#queue.idle();
    // Only a healthy log being kept needs its data synced and sealed.
    const keep = this.#failed === null && clean;
    try {
      if (keep) await this.#syncAll();
      await this.#files.closeSegments(keep);
    } finally {
      if (this.#ownsHandles) await this.#handles.closeAll();
      else this.#handles.evictUnder(this.#dir);
    }
    this.#logger.debug({ dir: this.#dir, clean: keep }, 'log closed');
  }
}
