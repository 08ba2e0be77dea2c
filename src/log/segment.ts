/**
 * One segment of a partition log: `<base>.log` holding whole v2 batches, plus
 * the sparse `<base>.index` (offset -> position) and `<base>.timeindex`
 * (timestamp -> offset), named by the 20-digit base offset as in Kafka.
 *
 * Invariants:
 * - Index entries live in memory (typed arrays) and the index files hold
 *   exactly the same entries, appended as they are added.
 * - `size` and the in-memory indexes only ever describe bytes whose write has
 *   completed: an append plans its entries, writes, then applies. Readers
 *   snapshot `size` and never read past it.
 * - Only the active segment (and one being recovered or truncated) holds
 *   file handles for writing. Reads borrow read-only handles from the
 *   HandleCache; an inactive segment loads its indexes on first use.
 * - Like Kafka's LogSegment this class is not safe against concurrent
 *   mutation: the owning PartitionLog serializes appends, truncation and
 *   sealing; reads and `sync()` may run alongside them.
 */
import type { FileHandle } from 'node:fs/promises';
import { BatchScanner, type ScanProblem, wholeBatchesEnd } from './batch-scanner.js';
import { CorruptLogError } from './errors.js';
import {
  goneError,
  readAt,
  readSmallFile,
  renameIfExists,
  segmentPath,
  unlinkIfExists,
  writeAt,
  writevAt,
} from './file-io.js';
import type { HandleCache } from './handle-cache.js';
import { type SegmentHandles, SegmentWriter, withTemporaryHandles } from './segment-files.js';
import { type BatchInfo, EMPTY_CURSOR, type IndexCursor, planIndexEntries } from './index-plan.js';
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from './offset-index.js';
import { MAX_RELATIVE_OFFSET } from './offset-limits.js';
import { NO_TIMESTAMP, TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';

export interface SegmentSettings {
  readonly indexIntervalBytes: number;
  readonly maxOffsetIndexEntries: number;
  readonly maxTimeIndexEntries: number;
}

interface Indexes {
  offsets: OffsetIndex;
  times: TimeIndex;
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

export class Segment {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  readonly #settings: SegmentSettings;
  readonly #handles: HandleCache;
  #size: number;
  #nextOffset: number;
  #indexes: Indexes | null = null;
  #loading: Promise<void> | null = null;
  #cursor: IndexCursor = EMPTY_CURSOR;
  #rollBaseTimestamp: number | null = null;
  #createdMs: number;
  #writer: SegmentWriter | null = null;
  #deleted = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    size: number,
    nextOffset: number,
    settings: SegmentSettings,
    handles: HandleCache,
    nowMs: number,
  ) {
    this.logPath = segmentPath(dir, baseOffset, 'log');
    this.indexPath = segmentPath(dir, baseOffset, 'index');
    this.timeIndexPath = segmentPath(dir, baseOffset, 'timeindex');
    this.#size = size;
    this.#nextOffset = nextOffset;
    this.#settings = settings;
    this.#handles = handles;
    this.#createdMs = nowMs;
  }

  /** Creates empty files (replacing any) and returns the segment open for appends. */
  static async create(
    dir: string,
    baseOffset: number,
    settings: SegmentSettings,
    handles: HandleCache,
    nowMs: number,
  ): Promise<Segment> {
    const seg = new Segment(dir, baseOffset, 0, baseOffset, settings, handles, nowMs);
    handles.evict(seg.logPath);
    seg.#indexes = {
      offsets: new OffsetIndex(baseOffset, settings.maxOffsetIndexEntries),
      times: new TimeIndex(baseOffset, settings.maxTimeIndexEntries),
    };
    seg.#writer = await SegmentWriter.open(seg, true);
    return seg;
  }

  /**
   * A segment found on disk. Its indexes load lazily; nextOffsetBound is an
   * upper bound on its next offset (the next segment's base) until a scan
   * makes it exact.
   */
  static existing(
    dir: string,
    baseOffset: number,
    size: number,
    nextOffsetBound: number,
    settings: SegmentSettings,
    handles: HandleCache,
    nowMs: number,
  ): Segment {
    return new Segment(dir, baseOffset, size, nextOffsetBound, settings, handles, nowMs);
  }

  /** Bytes of completed writes. */
  get size(): number {
    return this.#size;
  }

  /** Offset after the last batch (an upper bound for a lazily loaded inactive segment). */
  get nextOffset(): number {
    return this.#nextOffset;
  }

  get isWritable(): boolean {
    return this.#writer !== null;
  }

  get indexesLoaded(): boolean {
    return this.#indexes !== null;
  }

  /** Largest batch max timestamp (NO_TIMESTAMP if none). Requires loaded indexes. */
  get maxTimestamp(): number {
    this.#loaded();
    return this.#cursor.maxTimestamp;
  }

  /** Last offset of the first batch carrying maxTimestamp (-1 if none). Requires loaded indexes. */
  get offsetOfMaxTimestamp(): number {
    this.#loaded();
    return this.#cursor.offsetOfMaxTimestamp;
  }

  /** Max timestamp of the first batch, the origin for time-based rolling (null when empty). */
  get rollBaseTimestamp(): number | null {
    return this.#rollBaseTimestamp;
  }

  get createdMs(): number {
    return this.#createdMs;
  }

  get offsetIndexEntries(): number {
    return this.#loaded().offsets.entries;
  }

  get timeIndexEntries(): number {
    return this.#loaded().times.entries;
  }

  /** Either index reached segment.index.bytes: time to roll. */
  get indexFull(): boolean {
    const ix = this.#loaded();
    return ix.offsets.isFull || ix.times.isFull;
  }

  /** Sets the upper bound on next offset for an inactive, unscanned segment. */
  setNextOffsetBound(bound: number): void {
    if (this.#writer === null && this.#indexes === null) this.#nextOffset = bound;
  }

  /** Loads both index files, rebuilding them from the log when missing or inconsistent. */
  ensureIndexes(): Promise<void> {
    if (this.#indexes !== null) return Promise.resolve();
    this.#loading ??= this.#loadIndexes().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  /**
   * Makes the segment the active one (after a clean shutdown, or again after
   * a truncation): loads indexes, opens write handles and scans the unindexed
   * tail for the exact end.
   * Returns a problem instead when the tail is not sound (caller recovers).
   */
  async activate(nowMs: number): Promise<ScanProblem | null> {
    if (this.#deleted) throw new Error(`segment ${this.logPath} was deleted`);
    await this.ensureIndexes();
    this.#writer ??= await SegmentWriter.open(this, false);
    this.#createdMs = nowMs;
    return this.#scanTail();
  }

  /**
   * Recovery: verifies every batch (CRC included) and offset order, truncates
   * the file at the first bad one, rebuilds both indexes and syncs. Leaves the
   * segment writable when it was.
   */
  async recover(): Promise<ScanOutcome> {
    return this.#withWriteHandles(async (w) => {
      const fileSize = (await w.log.stat()).size;
      this.#size = fileSize;
      const outcome = await this.#rebuild(w.log, true);
      if (outcome.invalidBytes > 0) {
        await w.log.truncate(outcome.validBytes);
        this.#handles.evict(this.logPath);
      }
      this.#size = outcome.validBytes;
      await this.#writeIndexFiles(w);
      await Promise.all([w.log.datasync(), w.index.datasync(), w.timeIndex.datasync()]);
      return outcome;
    });
  }

  /**
   * Appends pre-validated batches: the buffers are written back to back with
   * one positional (vectored) write; each piece's batch positions are
   * relative to its own buffer.
   */
  async append(pieces: ReadonlyArray<{ readonly buf: Buffer; readonly batches: readonly BatchInfo[] }>): Promise<void> {
    const w = this.#writer;
    const ix = this.#indexes;
    if (w === null || ix === null) throw new Error(`segment ${this.logPath} is not writable`);
    const start = this.#size;
    const placed: BatchInfo[] = [];
    let at = start;
    for (const piece of pieces) {
      for (const b of piece.batches) placed.push({ ...b, position: at + b.position });
      at += piece.buf.length;
    }
    const plan = planIndexEntries(this.#cursor, placed, this.#settings.indexIntervalBytes, {
      offsetEntries: ix.offsets.maxEntries - ix.offsets.entries,
      timeEntries: ix.times.maxEntries - ix.times.entries,
      lastIndexedTimestamp: ix.times.lastTimestamp,
    });
    const writes: Array<Promise<void>> = [
      writevAt(
        w.log,
        pieces.map((p) => p.buf),
        start,
      ),
    ];
    if (plan.offsetEntries.length > 0) {
      const bytes = OffsetIndex.encodeEntries(this.baseOffset, plan.offsetEntries);
      writes.push(writeAt(w.index, bytes, ix.offsets.entries * OFFSET_INDEX_ENTRY_BYTES));
    }
    if (plan.timeEntries.length > 0) {
      const bytes = TimeIndex.encodeEntries(this.baseOffset, plan.timeEntries);
      writes.push(writeAt(w.timeIndex, bytes, ix.times.entries * TIME_INDEX_ENTRY_BYTES));
    }
    await Promise.all(writes);
    // Apply only now that the bytes are written.
    for (const e of plan.offsetEntries) ix.offsets.append(e.offset, e.position);
    for (const e of plan.timeEntries) ix.times.maybeAppend(e.timestamp, e.offset);
    this.#cursor = plan.cursor;
    this.#size = at;
    const last = placed[placed.length - 1];
    if (last !== undefined) this.#nextOffset = last.lastOffset + 1;
    if (this.#rollBaseTimestamp === null && placed[0] !== undefined) this.#rollBaseTimestamp = placed[0].maxTimestamp;
  }

  /** datasync of the log and both index files; a no-op once sealed (sealing syncs). */
  async sync(): Promise<void> {
    await this.#writer?.sync();
  }

  /**
   * Makes the segment inactive: records the final max timestamp in the time
   * index (as Kafka does on roll and close), syncs, closes write handles.
   */
  async seal(): Promise<void> {
    const w = this.#writer;
    const ix = this.#indexes;
    if (w === null || ix === null) return;
    const { maxTimestamp, offsetOfMaxTimestamp } = this.#cursor;
    if (maxTimestamp > ix.times.lastTimestamp) {
      const bytes = TimeIndex.encodeEntries(this.baseOffset, [{ timestamp: maxTimestamp, offset: offsetOfMaxTimestamp }]);
      await writeAt(w.timeIndex, bytes, ix.times.entries * TIME_INDEX_ENTRY_BYTES);
      ix.times.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
    }
    await this.sync();
    await this.#closeWriter();
  }

  /**
   * Drops every batch with lastOffset >= offset (a batch holding `offset` goes
   * whole). Needs write handles. Returns the bytes removed.
   */
  async truncateTo(offset: number, nowMs: number): Promise<number> {
    await this.ensureIndexes();
    const w = this.#writer;
    const ix = this.#loaded();
    if (w === null) throw new Error(`segment ${this.logPath} is not writable`);
    const found = await this.findBatch(offset);
    if (found === null) return 0;
    const removed = this.#size - found.position;
    await w.log.truncate(found.position);
    this.#handles.evict(this.logPath);
    ix.offsets.truncateToEntries(ix.offsets.entriesBelowPosition(found.position));
    ix.times.truncateToEntries(ix.times.entriesBelowOffset(found.baseOffset));
    await Promise.all([
      w.index.truncate(ix.offsets.entries * OFFSET_INDEX_ENTRY_BYTES),
      w.timeIndex.truncate(ix.times.entries * TIME_INDEX_ENTRY_BYTES),
    ]);
    this.#size = found.position;
    if (this.#size === 0) this.#createdMs = nowMs;
    const problem = await this.#scanTail();
    if (problem !== null) throw new CorruptLogError(this.logPath, problem.position, problem.problem);
    return removed;
  }

  /**
   * Marks the segment replaced or deleted: reads through it fail from now on
   * as if its file were gone, so readers retry on the log's new segment list.
   */
  retire(): void {
    this.#deleted = true;
  }

  get isRetired(): boolean {
    return this.#deleted;
  }

  /**
   * Retires the segment and renames its files to `<name>.deleted` (Kafka's
   * asynchronous delete): a read already holding a handle finishes on the old
   * file; the caller removes the returned paths later.
   */
  async renameToDeleted(): Promise<string[]> {
    this.retire();
    await this.#closeWriter();
    const renamed: string[] = [];
    for (const path of [this.logPath, this.indexPath, this.timeIndexPath]) {
      if (await renameIfExists(path, `${path}${DELETED_SUFFIX}`)) renamed.push(`${path}${DELETED_SUFFIX}`);
    }
    this.#handles.evict(this.logPath);
    return renamed;
  }

  /** Closes handles and removes the three files. */
  async delete(): Promise<void> {
    this.#deleted = true;
    await this.#closeWriter();
    this.#handles.evict(this.logPath);
    await Promise.all([
      unlinkIfExists(this.logPath),
      unlinkIfExists(this.indexPath),
      unlinkIfExists(this.timeIndexPath),
    ]);
  }

  /** Closes write handles without syncing (shutdown after a failure). */
  async close(): Promise<void> {
    await this.#closeWriter();
    this.#handles.evict(this.logPath);
  }

  /**
   * The first batch whose last offset is >= offset, within the first `limit`
   * bytes: index lookup, then a header scan forward. Null when there is none.
   */
  async findBatch(offset: number, limit = this.#size): Promise<BatchInfo | null> {
    await this.ensureIndexes();
    const start = Math.min(this.#loaded().offsets.lookup(offset).position, limit);
    return this.#scanFor(start, limit, (b) => b.lastOffset >= offset);
  }

  /**
   * Whole batches from the one holding `offset`: at most maxBytes, but the
   * first batch whole even if larger when minOneBatch; only batches whose
   * last offset is < maxOffset. Null when this segment has no batch at or
   * after offset (the caller moves to the next segment).
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<Buffer | null> {
    const limit = this.#size;
    // nextOffset is exact for the active segment and an upper bound otherwise.
    if (offset >= this.#nextOffset) return null;
    await this.ensureIndexes();
    const start = Math.min(this.#loaded().offsets.lookup(offset).position, limit);
    if (start >= limit) return null;
    // One read usually covers both the header scan from the index entry
    // (about one index interval) and the data returned.
    const windowBytes = Math.max(SCAN_WINDOW_BYTES, Math.min(maxBytes, MAX_READ_WINDOW_BYTES) + 2 * this.#settings.indexIntervalBytes);
    return this.#use(async (fh) => {
      const scanner = new BatchScanner(fh, start, limit, { windowBytes });
      const first = await this.#scanWith(scanner, (b) => b.lastOffset >= offset);
      if (first === null) return null;
      if (first.lastOffset >= maxOffset) return EMPTY;
      let want = Math.min(maxBytes, limit - first.position);
      if (want < first.size) {
        if (!minOneBatch) return EMPTY;
        want = first.size;
      }
      const data = scanner.peek(first.position, want) ?? (await readAt(fh, first.position, want));
      return data.subarray(0, wholeBatchesEnd(data, maxOffset));
    });
  }

  /** First batch with lastOffset >= minOffset and maxTimestamp >= ts, or null. */
  async findByTimestamp(ts: number, minOffset: number): Promise<BatchInfo | null> {
    await this.ensureIndexes();
    const ix = this.#loaded();
    const limit = this.#size;
    // Batches up to an entry with timestamp < ts are all older than ts, and
    // batches before the index position of minOffset are all below it.
    const before = ix.times.lookupBefore(ts);
    const byTime = before === null ? 0 : ix.offsets.lookup(before.offset).position;
    const byOffset = ix.offsets.lookup(minOffset).position;
    const start = Math.min(Math.max(byTime, byOffset), limit);
    return this.#scanFor(start, limit, (b) => b.lastOffset >= minOffset && b.maxTimestamp >= ts);
  }

  async #scanFor(start: number, limit: number, pred: (b: BatchInfo) => boolean): Promise<BatchInfo | null> {
    if (start >= limit) return null;
    return this.#use((fh) => this.#scanWith(new BatchScanner(fh, start, limit), pred));
  }

  /** First batch satisfying pred; a short file (concurrent truncation) counts as the end. */
  async #scanWith(scanner: BatchScanner, pred: (b: BatchInfo) => boolean): Promise<BatchInfo | null> {
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      if (pred(b)) return b;
    }
    const problem = scanner.problem;
    if (problem !== null && problem.problem !== 'truncated') {
      throw new CorruptLogError(this.logPath, problem.position, problem.problem);
    }
    return null;
  }

  /** A read through the handle cache that fails (ENOENT) if the segment was retired meanwhile. */
  async #use<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    if (this.#deleted) throw goneError(this.logPath);
    const out = await this.#handles.use(this.logPath, fn);
    if (this.#deleted) throw goneError(this.logPath);
    return out;
  }

  #loaded(): Indexes {
    if (this.#indexes === null) throw new Error(`indexes of ${this.logPath} are not loaded`);
    return this.#indexes;
  }

  async #loadIndexes(): Promise<void> {
    if (this.#deleted) throw goneError(this.logPath);
    const [offBytes, timeBytes] = await Promise.all([readSmallFile(this.indexPath), readSmallFile(this.timeIndexPath)]);
    const { maxOffsetIndexEntries, maxTimeIndexEntries } = this.#settings;
    const offsets =
      offBytes === null
        ? 'missing'
        : OffsetIndex.decode(this.baseOffset, maxOffsetIndexEntries, offBytes, {
            logSize: this.#size,
            nextOffset: this.#nextOffset,
          });
    const times =
      timeBytes === null
        ? 'missing'
        : TimeIndex.decode(this.baseOffset, maxTimeIndexEntries, timeBytes, { nextOffset: this.#nextOffset });
    // A time index with no entry for a segment with data was lost or cut short
    // (sealing always records the max timestamp): rebuild it too.
    const usable = typeof offsets !== 'string' && typeof times !== 'string' && (times.entries > 0 || this.#size === 0);
    if (usable) {
      this.#indexes = { offsets, times };
      const last = times.last();
      this.#cursor = {
        bytesSinceLastEntry: this.#size - (offsets.last()?.position ?? 0),
        maxTimestamp: last?.timestamp ?? NO_TIMESTAMP,
        offsetOfMaxTimestamp: last?.offset ?? -1,
      };
      return;
    }
    await this.#withWriteHandles(async (w) => {
      const outcome = await this.#rebuild(w.log, false);
      if (outcome.problem !== null) {
        throw new CorruptLogError(this.logPath, outcome.problem.position, outcome.problem.problem);
      }
      await this.#writeIndexFiles(w);
    });
  }

  /** Scans the whole file into fresh indexes; stops at the first bad batch. */
  async #rebuild(fh: FileHandle, verify: boolean): Promise<ScanOutcome> {
    const offsets = new OffsetIndex(this.baseOffset, this.#settings.maxOffsetIndexEntries);
    const times = new TimeIndex(this.baseOffset, this.#settings.maxTimeIndexEntries);
    const scanner = new BatchScanner(fh, 0, this.#size, { verify });
    let cursor = EMPTY_CURSOR;
    let expected = this.baseOffset;
    let batches = 0;
    let firstMaxTimestamp: number | null = null;
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      if (b.baseOffset < expected || b.lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) {
        scanner.reject('bad-offset', b.position);
        break;
      }
      expected = b.lastOffset + 1;
      batches++;
      firstMaxTimestamp ??= b.maxTimestamp;
      const plan = planIndexEntries(cursor, [b], this.#settings.indexIntervalBytes, {
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
    this.#indexes = { offsets, times };
    this.#cursor = cursor;
    this.#nextOffset = expected;
    this.#rollBaseTimestamp = firstMaxTimestamp;
    return { validBytes, invalidBytes: this.#size - validBytes, problem: scanner.problem, batches };
  }

  /**
   * Recomputes the exact end state (next offset, max timestamp, bytes since
   * the last index entry, roll base) by scanning headers after the last
   * offset index entry: batches before it are covered by the time index.
   */
  async #scanTail(): Promise<ScanProblem | null> {
    const ix = this.#loaded();
    const start = ix.offsets.last()?.position ?? 0;
    const lastTime = ix.times.last();
    let maxTimestamp = lastTime?.timestamp ?? NO_TIMESTAMP;
    let offsetOfMaxTimestamp = lastTime?.offset ?? -1;
    let next = this.baseOffset;
    let firstMax: number | null = null;
    const problem = await this.#handles.use(this.logPath, async (fh) => {
      if (this.#size > 0 && start > 0) firstMax = (await new BatchScanner(fh, 0, this.#size).next())?.maxTimestamp ?? null;
      const scanner = new BatchScanner(fh, start, this.#size);
      for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
        if (b.baseOffset < next || b.lastOffset - this.baseOffset > MAX_RELATIVE_OFFSET) {
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
      return scanner.problem;
    });
    if (problem !== null) return problem;
    this.#nextOffset = next;
    this.#rollBaseTimestamp = firstMax;
    this.#cursor = { bytesSinceLastEntry: this.#size - start, maxTimestamp, offsetOfMaxTimestamp };
    return null;
  }

  async #writeIndexFiles(w: SegmentHandles): Promise<void> {
    const ix = this.#loaded();
    await Promise.all([w.index.truncate(0), w.timeIndex.truncate(0)]);
    await Promise.all([writeAt(w.index, ix.offsets.encode(), 0), writeAt(w.timeIndex, ix.times.encode(), 0)]);
  }

  async #closeWriter(): Promise<void> {
    const w = this.#writer;
    if (w === null) return;
    // Unset first: a sync() arriving now has nothing left to do (sealing synced).
    this.#writer = null;
    await w.close();
  }

  /** Runs fn with write handles: the writer's, or temporary ones. */
  #withWriteHandles<T>(fn: (h: SegmentHandles) => Promise<T>): Promise<T> {
    if (this.#writer !== null) return fn(this.#writer);
    return withTemporaryHandles(this, () => !this.#deleted, fn);
  }
}

const EMPTY = Buffer.alloc(0);
export const DELETED_SUFFIX = '.deleted';
const SCAN_WINDOW_BYTES = 16 * 1024;
/** Cap on the speculative first read of a fetch; larger fetches take a second read. */
const MAX_READ_WINDOW_BYTES = 1024 * 1024;
