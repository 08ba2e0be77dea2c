/**
 * The read path of one segment: index lookup (in memory), then a header
 * scan forward from the entry found, reading the file in windows. Readers
 * see a snapshot `limit` (the segment size when the read started) and never
 * read past it, so a concurrent append is invisible until it completed.
 */
import type { FileHandle } from 'node:fs/promises';
import { BatchScanner, wholeBatchesEnd } from './batch-scanner.js';
import { CorruptLogError } from './errors.js';
import { readAt } from './file-io.js';
import type { BatchInfo } from './index-plan.js';
import type { Indexes } from './segment-indexes.js';

export interface SegmentReader {
  readonly logPath: string;
  readonly indexes: Indexes;
  /** Bytes of completed writes at the start of the read. */
  readonly limit: number;
  readonly indexIntervalBytes: number;
  /** Runs fn with a read handle (fails with ENOENT if the segment went away). */
  use<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T>;
}

const EMPTY = Buffer.alloc(0);
const SCAN_WINDOW_BYTES = 16 * 1024;
/** Cap on the speculative first read of a fetch; larger fetches take a second read. */
const MAX_READ_WINDOW_BYTES = 1024 * 1024;

/** The first batch whose last offset is >= offset, within the first `limit` bytes. */
export function findBatch(r: SegmentReader, offset: number): Promise<BatchInfo | null> {
  const start = Math.min(r.indexes.offsets.lookup(offset).position, r.limit);
  return scanFor(r, start, (b) => b.lastOffset >= offset);
}

/**
 * Whole batches from the one holding `offset` (see Segment.read). Null
 * when there is no batch at or after offset below the limit.
 */
export async function readBatches(
  r: SegmentReader,
  offset: number,
  maxBytes: number,
  minOneBatch: boolean,
  maxOffset: number,
): Promise<Buffer | null> {
  const limit = r.limit;
  const start = Math.min(r.indexes.offsets.lookup(offset).position, limit);
  if (start >= limit) return null;
  // One read usually covers both the header scan from the index entry
  // (about one index interval) and the data returned.
  const windowBytes = Math.max(SCAN_WINDOW_BYTES, Math.min(maxBytes, MAX_READ_WINDOW_BYTES) + 2 * r.indexIntervalBytes);
  return r.use(async (fh) => {
    const scanner = new BatchScanner(fh, start, limit, { windowBytes });
    const first = await scanWith(r, scanner, (b) => b.lastOffset >= offset);
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
export function findByTimestamp(r: SegmentReader, ts: number, minOffset: number): Promise<BatchInfo | null> {
  const { offsets, times } = r.indexes;
  // Batches up to an entry with timestamp < ts are all older than ts, and
  // batches before the index position of minOffset are all below it.
  const before = times.lookupBefore(ts);
  const byTime = before === null ? 0 : offsets.lookup(before.offset).position;
  const byOffset = offsets.lookup(minOffset).position;
  const start = Math.min(Math.max(byTime, byOffset), r.limit);
  return scanFor(r, start, (b) => b.lastOffset >= minOffset && b.maxTimestamp >= ts);
}

async function scanFor(r: SegmentReader, start: number, pred: (b: BatchInfo) => boolean): Promise<BatchInfo | null> {
  if (start >= r.limit) return null;
  return r.use((fh) => scanWith(r, new BatchScanner(fh, start, r.limit), pred));
}

/** First batch satisfying pred; a short file (concurrent truncation) counts as the end. */
async function scanWith(r: SegmentReader, scanner: BatchScanner, pred: (b: BatchInfo) => boolean): Promise<BatchInfo | null> {
  for (let b = await scanner.next(); b !== null; b = await scanner.next()) {
    if (pred(b)) return b;
  }
  const problem = scanner.problem;
  if (problem !== null && problem.problem !== 'truncated') {
    throw new CorruptLogError(r.logPath, problem.position, problem.problem);
  }
  return null;
}
