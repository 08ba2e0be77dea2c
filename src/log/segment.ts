/**
 * One segment of a partition log: `<base>.log` holding whole v2 batches, plus
 * the sparse `<base>.index` (offset -> position) and `<base>.timeindex`
 * (timestamp -> offset), named by the 20-digit base offset as in Kafka.
 *
 * Invariants:
 * - Index entries live in memory (typed arrays). The active segment's
 *   entries are written to the index files only when it is sealed (roll,
 *   clean close) or recovered; until then the files may be empty or stale.
 *   That is safe because after an unclean stop the active segment is always
 *   at or after the checkpointed recovery point, whose segments recovery
 *   rescans and re-indexes (segment-indexes.ts).
 * - Appends write into the page cache synchronously (writev on the calling
 *   thread: a memory copy, cheaper than a thread-pool hop); fsync stays
 *   asynchronous (`sync`).
 * - `size` and the in-memory indexes only ever describe bytes whose write has
 *   completed. Readers snapshot `size` and never read past it.
 * - No segment keeps a descriptor of its own: appends, fsyncs and reads
 *   borrow `.log` handles from the shared, bounded HandleCache; index files
 *   are opened only while being written. An inactive segment loads its
 *   indexes on first use.
 * - Like Kafka's LogSegment this class is not safe against concurrent
 *   mutation: the owning PartitionLog serializes appends, truncation and
 *   sealing; reads and `sync()` may run alongside them.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ScanProblem } from './batch-scanner.js';
import { CorruptLogError } from './errors.js';
import {
  goneError,
  openReadWrite,
  renameIfExists,
  segmentPath,
  truncateIfExists,
  unlinkIfExists,
  writeFileSynced,
  writevSyncAt,
} from './file-io.js';
import type { HandleCache } from './handle-cache.js';
import { loadSegmentIndexes, recoverSegmentFiles } from './segment-files.js';
import { type BatchInfo, EMPTY_CURSOR, type IndexCursor, planIndexEntries } from './index-plan.js';
import { OFFSET_INDEX_ENTRY_BYTES } from './offset-index.js';
import {
  emptyIndexes,
  type Indexes,
  isScanProblem,
  type ScanOutcome,
  type SegmentEnd,
  type SegmentSettings,
  type SegmentShape,
  scanTail,
} from './segment-indexes.js';
import { findBatch, findByTimestamp, readBatches, type SegmentReader } from './segment-read.js';
import { TIME_INDEX_ENTRY_BYTES } from './time-index.js';

export type { ScanOutcome, SegmentSettings } from './segment-indexes.js';

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
  /** Open for appends (the active segment, or one being truncated). */
  #active = false;
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
    for (const path of [seg.logPath, seg.indexPath, seg.timeIndexPath]) await (await openReadWrite(path, true)).close();
    seg.#indexes = emptyIndexes(baseOffset, settings);
    seg.#active = true;
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
    return this.#active;
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

  get isRetired(): boolean {
    return this.#deleted;
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
   * a truncation): loads indexes and scans the unindexed tail for the exact
   * end. Returns a problem instead when the tail is not sound (caller recovers).
   */
  async activate(nowMs: number): Promise<ScanProblem | null> {
    if (this.#deleted) throw new Error(`segment ${this.logPath} was deleted`);
    await this.ensureIndexes();
    this.#active = true;
    this.#createdMs = nowMs;
    const end = await this.#handles.use(this.logPath, (fh) => scanTail(fh, this.#shape(), this.#loaded()), true);
    if (isScanProblem(end)) return end;
    this.#applyEnd(end);
    return null;
  }

  /**
   * Recovery: verifies every batch (CRC included) and offset order, truncates
   * the file at the first bad one, rebuilds both indexes and syncs.
   */
  async recover(): Promise<ScanOutcome> {
    this.#handles.evict(this.logPath);
    const { indexes, end, outcome } = await recoverSegmentFiles(this, (size) => ({ ...this.#shape(), size }), () => !this.#deleted);
    this.#handles.evict(this.logPath); // the file may have been cut
    this.#indexes = indexes;
    this.#applyEnd(end);
    this.#size = outcome.validBytes;
    return outcome;
  }

  /**
   * Appends pre-validated batches: the buffers are written back to back with
   * one synchronous vectored write into the page cache; each piece's batch
   * positions are relative to its own buffer. Index entries go to memory.
   */
  async append(pieces: ReadonlyArray<{ readonly buf: Buffer; readonly batches: readonly BatchInfo[] }>): Promise<void> {
    const ix = this.#indexes;
    if (!this.#active || ix === null) throw new Error(`segment ${this.logPath} is not writable`);
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
    const bufs = pieces.map((p) => p.buf);
    await this.#handles.use(this.logPath, async (fh) => writevSyncAt(fh.fd, bufs, start), true);
    // Apply only now that the bytes are written.
    for (const e of plan.offsetEntries) ix.offsets.append(e.offset, e.position);
    for (const e of plan.timeEntries) ix.times.maybeAppend(e.timestamp, e.offset);
    this.#cursor = plan.cursor;
    this.#size = at;
    const last = placed[placed.length - 1];
    if (last !== undefined) this.#nextOffset = last.lastOffset + 1;
    if (this.#rollBaseTimestamp === null && placed[0] !== undefined) this.#rollBaseTimestamp = placed[0].maxTimestamp;
  }

  /** fdatasync of the log file; a no-op once sealed (sealing syncs). */
  async sync(): Promise<void> {
    // The handle stays open while borrowed, so a concurrent seal or eviction cannot close it under the sync.
    if (!this.#active || this.#deleted) return;
    await this.#handles.use(this.logPath, (fh) => fh.datasync(), true);
  }

  /**
   * Makes the segment inactive: records the final max timestamp in the time
   * index (as Kafka does on roll and close), writes both index files whole,
   * and syncs the log and the indexes.
   */
  async seal(): Promise<void> {
    const ix = this.#indexes;
    if (!this.#active || ix === null) return;
    const { maxTimestamp, offsetOfMaxTimestamp } = this.#cursor;
    ix.times.maybeAppend(maxTimestamp, offsetOfMaxTimestamp);
    await Promise.all([
      this.#handles.use(this.logPath, (fh) => fh.datasync(), true),
      writeFileSynced(this.indexPath, ix.offsets.encode()),
      writeFileSynced(this.timeIndexPath, ix.times.encode()),
    ]);
    this.#active = false;
  }

  /**
   * Drops every batch with lastOffset >= offset (a batch holding `offset` goes
   * whole). The segment must be active. Returns the bytes removed.
   */
  async truncateTo(offset: number, nowMs: number): Promise<number> {
    await this.ensureIndexes();
    const ix = this.#loaded();
    if (!this.#active) throw new Error(`segment ${this.logPath} is not writable`);
    const found = await findBatch(this.#reader(), offset);
    if (found === null) return 0;
    const removed = this.#size - found.position;
    await this.#handles.use(this.logPath, (fh) => fh.truncate(found.position), true);
    this.#handles.evict(this.logPath);
    ix.offsets.truncateToEntries(ix.offsets.entriesBelowPosition(found.position));
    ix.times.truncateToEntries(ix.times.entriesBelowOffset(found.baseOffset));
    // The index files may hold entries of the dropped batches (a sealed
    // segment made active again); they are rewritten whole when sealed.
    await Promise.all([
      truncateIfExists(this.indexPath, ix.offsets.entries * OFFSET_INDEX_ENTRY_BYTES),
      truncateIfExists(this.timeIndexPath, ix.times.entries * TIME_INDEX_ENTRY_BYTES),
    ]);
    this.#size = found.position;
    if (this.#size === 0) this.#createdMs = nowMs;
    const end = await this.#handles.use(this.logPath, (fh) => scanTail(fh, this.#shape(), ix), true);
    if (isScanProblem(end)) throw new CorruptLogError(this.logPath, end.position, end.problem);
    this.#applyEnd(end);
    return removed;
  }

  /**
   * Marks the segment replaced or deleted: reads through it fail from now on
   * as if its file were gone, so readers retry on the log's new segment list.
   */
  retire(): void {
    this.#deleted = true;
  }

  /**
   * Retires the segment and renames its files to `<name>.deleted` (Kafka's
   * asynchronous delete): a read already holding a handle finishes on the old
   * file; the caller removes the returned paths later.
   */
  async renameToDeleted(): Promise<string[]> {
    this.retire();
    this.#active = false;
    const renamed: string[] = [];
    for (const path of [this.logPath, this.indexPath, this.timeIndexPath]) {
      if (await renameIfExists(path, `${path}${DELETED_SUFFIX}`)) renamed.push(`${path}${DELETED_SUFFIX}`);
    }
    this.#handles.evict(this.logPath);
    return renamed;
  }

  /** Removes the three files. */
  async delete(): Promise<void> {
    this.#deleted = true;
    this.#active = false;
    this.#handles.evict(this.logPath);
    await Promise.all([unlinkIfExists(this.logPath), unlinkIfExists(this.indexPath), unlinkIfExists(this.timeIndexPath)]);
  }

  /** Stops appends without syncing or writing indexes (shutdown after a failure). */
  async close(): Promise<void> {
    this.#active = false;
    this.#handles.evict(this.logPath);
  }

  /**
   * Whole batches from the one holding `offset`: at most maxBytes, but the
   * first batch whole even if larger when minOneBatch; only batches whose
   * last offset is < maxOffset. Null when this segment has no batch at or
   * after offset (the caller moves to the next segment).
   */
  async read(offset: number, maxBytes: number, minOneBatch: boolean, maxOffset: number): Promise<Buffer | null> {
    // nextOffset is exact for the active segment and an upper bound otherwise.
    if (offset >= this.#nextOffset) return null;
    const limit = this.#size;
    await this.ensureIndexes();
    return readBatches(this.#reader(limit), offset, maxBytes, minOneBatch, maxOffset);
  }

  /** First batch with lastOffset >= minOffset and maxTimestamp >= ts, or null. */
  async findByTimestamp(ts: number, minOffset: number): Promise<BatchInfo | null> {
    await this.ensureIndexes();
    return findByTimestamp(this.#reader(), ts, minOffset);
  }

  #reader(limit = this.#size): SegmentReader {
    return {
      logPath: this.logPath,
      indexes: this.#loaded(),
      limit,
      indexIntervalBytes: this.#settings.indexIntervalBytes,
      use: (fn) => this.#use(fn),
    };
  }

  /** A read through the handle cache that fails (ENOENT) if the segment was retired meanwhile. */
  async #use<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    if (this.#deleted) throw goneError(this.logPath);
    const out = await this.#handles.use(this.logPath, fn);
    if (this.#deleted) throw goneError(this.logPath);
    return out;
  }

  #shape(): SegmentShape {
    return { baseOffset: this.baseOffset, settings: this.#settings, size: this.#size, nextOffset: this.#nextOffset };
  }

  #applyEnd(end: SegmentEnd): void {
    this.#cursor = end.cursor;
    this.#nextOffset = end.nextOffset;
    this.#rollBaseTimestamp = end.rollBaseTimestamp;
  }

  #loaded(): Indexes {
    if (this.#indexes === null) throw new Error(`indexes of ${this.logPath} are not loaded`);
    return this.#indexes;
  }

  async #loadIndexes(): Promise<void> {
    if (this.#deleted) throw goneError(this.logPath);
    const loaded = await loadSegmentIndexes(this, this.#shape(), () => !this.#deleted);
    this.#indexes = loaded.indexes;
    this.#cursor = loaded.cursor;
    if (loaded.end !== null) this.#applyEnd(loaded.end);
  }
}

export const DELETED_SUFFIX = '.deleted';
