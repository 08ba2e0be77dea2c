/**
 * One compaction pass over one log (Kafka's Cleaner.doClean): keeps the
 * newest record per key, offsets unchanged.
 *
 * 1. Plan (cleaner-plan.ts) on the current segments: the dirty range and
 *    whether the dirty ratio calls for cleaning. The active segment is
 *    never touched.
 * 2. Map: decode the dirty batches and record each key's newest offset; a
 *    full map ends the mapped range early (records past it stay as they
 *    are). The same pass notes each producer's last batch and follows
 *    transactions (cleaner-txns.ts): committed records are mapped when their
 *    marker is seen, aborted ones are dropped later, undecided ones kept.
 * 3. Clean: the segments from the log start up to the mapped end, grouped
 *    by size, are rewritten into `<base>.log.cleaned` files. A batch whose
 *    records all stay is copied byte for byte; one that loses records is
 *    rebuilt with the same base offset and last offset delta (so producer
 *    sequence accounting still works), producer id, epoch, base sequence,
 *    transactional flag, partition leader epoch, timestamp type and codec,
 *    as Kafka's MemoryRecords.filterTo does. A batch that loses every record
 *    disappears, except a producer's last batch, which stays as an empty
 *    batch so its sequence survives. Control batches are kept whole.
 * 4. Swap: each cleaned file replaces its group through
 *    PartitionLog.replaceSegments (crash-safe, see segment-swap.ts), which
 *    refuses if the log changed meanwhile (truncation, retention, DeleteRecords);
 *    the pass then stops and the next one starts over.
 *
 * The caller persists the returned end offset as the cleaner checkpoint.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Logger } from 'pino';
import { Attr, attributesOf, CompressionType } from '../protocol/record-batch.js';
import { type BuildBatchOptions, buildBatch, decodeBatch, type DecodedBatch } from '../protocol/records.js';
import { BatchScanner } from './batch-scanner.js';
import { type CleaningPlan, groupSegments, planCleaning, retainRecord } from './cleaner-plan.js';
import { type KeyedOffset, TxnTracker } from './cleaner-txns.js';
import { ControlRecordType } from '../protocol/control-records.js';
import { CorruptLogError } from './errors.js';
import { isErrno, openReadWrite, readAt, unlinkIfExists, writeAt } from './file-io.js';
import type { BatchInfo } from './index-plan.js';
import { segmentSettings } from './log-loader.js';
import { OffsetMap } from './offset-map.js';
import type { PartitionLog } from './partition-log.js';
import type { Segment } from './segment.js';
import { cleanedLogPath } from './segment-swap.js';
import { NO_TIMESTAMP } from './time-index.js';

export interface CleanOptions {
  readonly nowMs: number;
  readonly highWatermark: number;
  /** The cleaner checkpoint of this log, null when none. */
  readonly checkpoint: number | null;
  /** Most keys mapped in one pass (log.cleaner.dedupe.buffer.size's role). */
  readonly maxMapEntries: number;
  readonly logger?: Logger;
  /** Polled between batches: true stops the pass (shutdown). */
  readonly stopped?: () => boolean;
  /** Clean even when the dirty ratio does not call for it (tombstones past delete.retention.ms). */
  readonly force?: boolean;
}

export interface CleanStats {
  readonly firstDirtyOffset: number;
  /** Offsets below this are cleaned: the next checkpoint. */
  readonly endOffset: number;
  readonly segmentsIn: number;
  readonly segmentsOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly recordsRead: number;
  readonly recordsKept: number;
  /** When a tombstone this pass kept (only for delete.retention.ms) may go; null when none was kept for that reason. */
  readonly tombstoneHorizonMs: number | null;
}

export type CleanOutcome =
  | { readonly kind: 'skipped'; readonly plan: CleaningPlan | null }
  | { readonly kind: 'aborted'; readonly reason: string }
  | { readonly kind: 'cleaned'; readonly stats: CleanStats };

const WINDOW_BYTES = 1024 * 1024;
const WRITE_CHUNK_BYTES = 1024 * 1024;

interface MapResult {
  readonly map: OffsetMap;
  readonly mapEnd: number;
  /** producer id -> last offset of its last batch among the sources. */
  readonly lastBatchOf: ReadonlyMap<bigint, number>;
  /** Base offsets of aborted transactional batches (dropped). */
  readonly aborted: ReadonlySet<number>;
  /** Base offsets of transactional batches without a marker in range (kept whole). */
  readonly undecided: ReadonlySet<number>;
}

interface Counters {
  recordsRead: number;
  recordsKept: number;
  /** A newest tombstone was kept only because delete.retention.ms has not passed. */
  youngTombstones: boolean;
}

export async function cleanLog(log: PartitionLog, opts: CleanOptions): Promise<CleanOutcome> {
  if (log.isClosed || !log.config.cleanupPolicy.compact) return { kind: 'skipped', plan: null };
  try {
    return await clean(log, opts);
  } catch (err) {
    // Stopped, or a segment deleted or replaced under the pass: try again next round.
    if (err instanceof CleaningStopped || isErrno(err, 'ENOENT') || log.isClosed) return { kind: 'aborted', reason: String(err) };
    throw err;
  }
}

class CleaningStopped extends Error {}

/** Throws CleaningStopped when the pass should end now. */
type StopCheck = () => void;

async function clean(log: PartitionLog, opts: CleanOptions): Promise<CleanOutcome> {
  const check: StopCheck = () => {
    if (log.isClosed || (opts.stopped?.() ?? false)) throw new CleaningStopped('cleaning stopped');
  };
  const version = log.structureVersion;
  const segs = log.segmentList();
  for (const s of segs.slice(0, -1)) await s.ensureIndexes();
  if (log.structureVersion !== version) return { kind: 'aborted', reason: 'log changed while loading indexes' };
  const config = log.config;
  const plan = planCleaning({
    segments: segs.map((s) => ({ baseOffset: s.baseOffset, sizeBytes: s.size, largestTimestamp: s.indexesLoaded ? s.maxTimestamp : null })),
    logStartOffset: log.logStartOffset,
    logEndOffset: log.logEndOffset,
    highWatermark: opts.highWatermark,
    checkpoint: opts.checkpoint,
    nowMs: opts.nowMs,
    minCleanableDirtyRatio: config.minCleanableDirtyRatio,
    minCompactionLagMs: config.minCompactionLagMs,
    maxCompactionLagMs: config.maxCompactionLagMs,
  });
  if (!plan.shouldClean && !(opts.force === true && plan.cleanableSegments > 0)) return { kind: 'skipped', plan };
  const sources = segs.slice(0, plan.cleanableSegments);
  const mapped = await buildOffsetMap(sources, plan, opts.maxMapEntries, check);
  let n = 0;
  while (n < sources.length && (sources[n] as Segment).baseOffset < mapped.mapEnd) n++;
  const settings = segmentSettings(config);
  const groups = groupSegments(
    sources.slice(0, n).map((s, i) => ({
      baseOffset: s.baseOffset,
      sizeBytes: s.size,
      endOffset: (segs[i + 1] as Segment).baseOffset,
      offsetIndexEntries: s.offsetIndexEntries,
      timeIndexEntries: s.timeIndexEntries,
    })),
    { maxBytes: config.segmentBytes, maxOffsetIndexEntries: settings.maxOffsetIndexEntries, maxTimeIndexEntries: settings.maxTimeIndexEntries },
  );
  const counters: Counters = { recordsRead: 0, recordsKept: 0, youngTombstones: false };
  const swapped = await cleanGroups(log, segs, sources.slice(0, n), groups, { mapped, counters, version, nowMs: opts.nowMs, check });
  if (swapped === null) return { kind: 'aborted', reason: 'log changed during cleaning' };
  const stats: CleanStats = {
    firstDirtyOffset: plan.firstDirtyOffset,
    endOffset: mapped.mapEnd,
    segmentsIn: n,
    segmentsOut: groups.length,
    bytesIn: sources.slice(0, n).reduce((sum, s) => sum + s.size, 0),
    bytesOut: swapped.bytesOut,
    recordsRead: counters.recordsRead,
    recordsKept: counters.recordsKept,
    tombstoneHorizonMs: swapped.tombstoneHorizonMs,
  };
  opts.logger?.info({ dir: log.dir, ...stats, dirtyRatio: plan.dirtyRatio }, 'cleaned log');
  return { kind: 'cleaned', stats };
}

interface GroupContext {
  readonly mapped: MapResult;
  readonly counters: Counters;
  readonly version: number;
  readonly nowMs: number;
  readonly check: StopCheck;
}

/**
 * Pass 2 and swap, group by group. `segs` is the segment list the plan saw
 * (a group's end offset is the base of the segment after it). Null when the
 * log changed and a swap was refused.
 */
async function cleanGroups(
  log: PartitionLog,
  segs: readonly Segment[],
  sources: readonly Segment[],
  groups: readonly number[],
  ctx: GroupContext,
): Promise<{ bytesOut: number; tombstoneHorizonMs: number | null } | null> {
  const deleteRetentionMs = log.config.deleteRetentionMs;
  const tombstoneHorizon = ctx.nowMs - deleteRetentionMs;
  let version = ctx.version;
  let nextHorizon: number | null = null;
  let bytesOut = 0;
  let at = 0;
  for (const len of groups) {
    const group = sources.slice(at, at + len);
    const first = group[0] as Segment;
    const endOffset = (segs[at + len] as Segment).baseOffset;
    const path = cleanedLogPath(log.dir, first.baseOffset);
    ctx.counters.youngTombstones = false;
    bytesOut += await writeCleaned(path, group, ctx.check, (seg) => ({
      mapped: ctx.mapped,
      dropTombstones: seg.maxTimestamp !== NO_TIMESTAMP && seg.maxTimestamp < tombstoneHorizon,
      counters: ctx.counters,
    }));
    const next = await log.replaceSegments(group, { path, baseOffset: first.baseOffset, endOffset }, version);
    if (next === null) return null;
    version = next;
    if (ctx.counters.youngTombstones) {
      // Kept tombstones now sit in the merged segment: they may go once it is old enough.
      const horizon = Math.max(...group.map((s) => s.maxTimestamp)) + deleteRetentionMs + 1;
      nextHorizon = Math.min(nextHorizon ?? horizon, horizon);
    }
    at += len;
  }
  return { bytesOut, tombstoneHorizonMs: nextHorizon };
}

/** Pass 1: newest offset per key over the dirty range, and each producer's last batch. */
async function buildOffsetMap(sources: readonly Segment[], plan: CleaningPlan, capacity: number, check: StopCheck): Promise<MapResult> {
  const map = new OffsetMap(capacity);
  const lastBatchOf = new Map<bigint, number>();
  const txns = new TxnTracker();
  let mapEnd = plan.firstUncleanableOffset;
  let full = false;
  for (const seg of sources) {
    await forEachBatch(seg, async (bytes, info) => {
      const producerId = bytes.readBigInt64BE(43);
      if (producerId >= 0n) lastBatchOf.set(producerId, info.lastOffset);
      const attrs = attributesOf(bytes);
      if ((attrs & Attr.Control) !== 0) {
        const type = (await decodeBatch(bytes)).records[0]?.control?.type;
        if (type === ControlRecordType.Commit || type === ControlRecordType.Abort) {
          // A full map only misses entries: the records they would hide are kept.
          for (const [key, offset] of txns.marker(producerId, type === ControlRecordType.Commit)) map.put(key, offset);
        }
        return;
      }
      const transactional = (attrs & Attr.Transactional) !== 0;
      const dirty = info.lastOffset >= plan.firstDirtyOffset && info.baseOffset < mapEnd && !full;
      const puts: KeyedOffset[] = [];
      if (dirty) {
        for (const r of (await decodeBatch(bytes)).records) {
          if (r.offset < plan.firstDirtyOffset || r.key === null) continue;
          if (r.offset >= mapEnd) break;
          if (transactional) puts.push([r.key, r.offset]);
          else if (!map.put(r.key, r.offset)) {
            mapEnd = r.offset;
            full = true;
            break;
          }
        }
      }
      if (transactional) txns.data(producerId, info.baseOffset, puts);
    }, check);
  }
  return { map, mapEnd, lastBatchOf, aborted: txns.aborted, undecided: txns.undecided() };
}

interface FilterContext {
  readonly mapped: MapResult;
  readonly dropTombstones: boolean;
  readonly counters: Counters;
}

/** Pass 2 for one group: writes and fsyncs the cleaned file; returns its size. */
async function writeCleaned(path: string, group: readonly Segment[], check: StopCheck, contextOf: (seg: Segment) => FilterContext): Promise<number> {
  const fh = await openReadWrite(path, true);
  let ok = false;
  try {
    const out = new ChunkedWriter(fh);
    for (const seg of group) {
      const ctx = contextOf(seg);
      await forEachBatch(seg, async (bytes, info) => {
        const kept = await filterBatch(bytes, info, ctx);
        if (kept !== null) await out.write(kept);
      }, check);
    }
    await out.flush();
    await fh.datasync();
    ok = true;
    return out.size;
  } finally {
    await fh.close();
    if (!ok) await unlinkIfExists(path);
  }
}

/** The batch as cleaning leaves it: the same bytes, a rebuilt batch, or null when it goes. */
async function filterBatch(bytes: Buffer, info: BatchInfo, ctx: FilterContext): Promise<Buffer | null> {
  const attrs = attributesOf(bytes);
  const { map, mapEnd, lastBatchOf, aborted, undecided } = ctx.mapped;
  if ((attrs & Attr.Control) !== 0 || undecided.has(info.baseOffset)) return bytes;
  if (aborted.has(info.baseOffset)) return null;
  const batch = await decodeBatch(bytes);
  const retain = { mapEnd, dropTombstones: ctx.dropTombstones };
  const kept = batch.records.filter((r) => {
    const newest = r.key === null ? undefined : map.get(r.key);
    const keep = retainRecord(r.offset, r.key !== null, r.value === null, newest, retain);
    if (keep && r.value === null && r.offset < mapEnd && !ctx.dropTombstones) ctx.counters.youngTombstones = true;
    return keep;
  });
  ctx.counters.recordsRead += batch.records.length;
  ctx.counters.recordsKept += kept.length;
  if (kept.length === batch.records.length) return bytes;
  const base = rebuildOptions(batch, attrs);
  if (kept.length > 0) {
    return buildBatch({
      ...base,
      compression: (attrs & Attr.CompressionMask) as CompressionType,
      records: kept.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta })),
    });
  }
  const h = batch.header;
  if (h.producerId < 0n || lastBatchOf.get(h.producerId) !== info.lastOffset) return null;
  return buildBatch({ ...base, records: [], defaultTimestamp: Number(h.maxTimestamp) });
}

function rebuildOptions(batch: DecodedBatch, attrs: number): Omit<BuildBatchOptions, 'records'> {
  const h = batch.header;
  return {
    baseOffset: h.baseOffset,
    lastOffsetDelta: h.lastOffsetDelta,
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: (attrs & Attr.Transactional) !== 0,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    timestampType: (attrs & Attr.TimestampType) !== 0 ? 'logAppend' : 'create',
  };
}

/** Calls fn with every whole batch of the segment, in order (read in large windows). */
async function forEachBatch(seg: Segment, fn: (bytes: Buffer, info: BatchInfo) => Promise<void>, check: StopCheck): Promise<void> {
  if (seg.isRetired) throw Object.assign(new Error(`${seg.logPath} was retired`), { code: 'ENOENT' });
  const fh = await open(seg.logPath, 'r');
  try {
    const scanner = new BatchScanner(fh, 0, seg.size, { windowBytes: WINDOW_BYTES });
    for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
      check();
      await fn(scanner.peek(b.position, b.size) ?? (await readAt(fh, b.position, b.size)), b);
    }
    const problem = scanner.problem;
    if (problem !== null) throw new CorruptLogError(seg.logPath, problem.position, problem.problem);
  } finally {
    await fh.close();
  }
}

/** Sequential writes gathered into large positional writes. */
class ChunkedWriter {
  readonly #fh: FileHandle;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #written = 0;

  constructor(fh: FileHandle) {
    this.#fh = fh;
  }

  get size(): number {
    return this.#written + this.#pendingBytes;
  }

  async write(buf: Buffer): Promise<void> {
    this.#pending.push(buf);
    this.#pendingBytes += buf.length;
    if (this.#pendingBytes >= WRITE_CHUNK_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    const chunk = Buffer.concat(this.#pending, this.#pendingBytes);
    this.#pending = [];
    await writeAt(this.#fh, chunk, this.#written);
    this.#written += this.#pendingBytes;
    this.#pendingBytes = 0;
  }
}
