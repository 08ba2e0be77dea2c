/**
 * Pure parts of the log-level benchmark (scenario-log.ts): how much to
 * write, walking the batches a read returned, when a "cold" read is
 * believable, and whether recovery really verified the whole log. No I/O
 * here, so these are unit-tested (test/unit/bench).
 */
import { baseOffsetOf, batchPositions, lastOffsetDeltaOf, recordCountOf } from '../protocol/record-batch.js';

/** Cached share (percent) above which a read after eviction is not called cold. */
export const COLD_MAX_CACHED_PCT = 10;

export interface LogPlan {
  /** Batches written per append run (each of batchBytes). */
  batches: number;
  /** Bytes written per append run (batches * batch size). */
  bytes: number;
  /** Appends in flight at once. */
  concurrency: number;
}

/**
 * Enough whole batches to reach targetBytes (at least one per appender, so
 * every appender has work), with `concurrency` appends in flight.
 */
export function planLog(targetBytes: number, batchBytes: number, concurrency: number): LogPlan {
  if (!(batchBytes > 0) || !(targetBytes > 0) || !(concurrency >= 1)) {
    throw new RangeError(`log plan needs positive sizes and concurrency (target ${targetBytes}, batch ${batchBytes}, concurrency ${concurrency})`);
  }
  const c = Math.floor(concurrency);
  const batches = Math.max(c, Math.ceil(targetBytes / batchBytes));
  return { batches, bytes: batches * batchBytes, concurrency: c };
}

export interface ReadChunk {
  /** Whole batches in the buffer. */
  batches: number;
  /** Records (lastOffset - baseOffset + 1 summed; recordCount is not trusted for compacted batches). */
  records: number;
  /** Offset after the last whole batch (where the next read starts), or null when there is none. */
  nextOffset: number | null;
  /** Bytes of whole batches. */
  bytes: number;
}

/** Walks the consecutive batches of one read result. */
export function scanChunk(buf: Buffer): ReadChunk {
  let batches = 0;
  let records = 0;
  let bytes = 0;
  let nextOffset: number | null = null;
  for (const [pos, size] of batchPositions(buf)) {
    const base = baseOffsetOf(buf, pos);
    const last = base + lastOffsetDeltaOf(buf, pos);
    batches++;
    records += last - base + 1;
    bytes += size;
    nextOffset = last + 1;
  }
  return { batches, records, nextOffset, bytes };
}

/** Records in one prebuilt batch, from its header. */
export const recordsIn = (batch: Buffer): number => recordCountOf(batch, 0);

/**
 * Why a read after eviction cannot be reported as cold, or null when it
 * can: eviction must have worked and fincore must confirm that at most
 * COLD_MAX_CACHED_PCT of the log was still cached.
 */
export function coldProblem(evicted: boolean, cachedPct: number | null): string | null {
  if (!evicted) return 'cold not measurable: could not evict the log from the page cache (dd iflag=nocache failed or is missing)';
  if (cachedPct === null) return 'cold not measurable: fincore is missing, so eviction cannot be confirmed';
  if (cachedPct > COLD_MAX_CACHED_PCT) return `cold not measurable: ${cachedPct.toFixed(0)}% of the log stayed in the page cache after eviction`;
  return null;
}

/**
 * Why a recovery figure would be false, or null when recovery verified
 * every byte of the log: the loader reports each segment it verifies, and
 * their sizes must add up to the log's size.
 */
export function recoveryProblem(verifiedBytes: number, logBytes: number, endOffsetBefore: number, endOffsetAfter: number): string | null {
  if (endOffsetAfter !== endOffsetBefore) return `recovery changed the log end offset from ${endOffsetBefore} to ${endOffsetAfter} (data lost or corrupt)`;
  if (verifiedBytes < logBytes) return `recovery verified ${verifiedBytes} of ${logBytes} bytes (not a full CRC check; the figure would be false)`;
  return null;
}
