/**
 * Recovery and index rebuilds of one segment, through temporary write
 * handles on its three files (.log, .index, .timeindex). The active
 * segment's appends and fsyncs borrow its .log handle from the HandleCache
 * instead.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { CorruptLogError } from './errors.js';
import { openReadWrite, readSmallFile, writeAt } from './file-io.js';
import type { IndexCursor } from './index-plan.js';
import { decodeIndexes, type Indexes, rebuildIndexes, type ScanOutcome, type SegmentEnd, type SegmentShape } from './segment-indexes.js';

export interface SegmentHandles {
  readonly log: FileHandle;
  readonly index: FileHandle;
  readonly timeIndex: FileHandle;
}

export interface SegmentPaths {
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
}

/**
 * Runs fn with temporary read-write handles. The log file must exist (it is
 * never created here, so a segment deleted under a lazy index load fails
 * with ENOENT instead of coming back empty); index files are created.
 */
export async function withTemporaryHandles<T>(
  paths: SegmentPaths,
  stillExists: () => boolean,
  fn: (h: SegmentHandles) => Promise<T>,
): Promise<T> {
  const opened: FileHandle[] = [await open(paths.logPath, 'r+')];
  try {
    if (!stillExists()) throw Object.assign(new Error(`segment ${paths.logPath} was deleted`), { code: 'ENOENT' });
    opened.push(await openReadWrite(paths.indexPath));
    opened.push(await openReadWrite(paths.timeIndexPath));
    const [log, index, timeIndex] = opened as [FileHandle, FileHandle, FileHandle];
    return await fn({ log, index, timeIndex });
  } finally {
    await Promise.all(opened.map((h) => h.close()));
  }
}

/**
 * Recovery of a segment file: verifies every batch (CRC included) and offset
 * order, truncates the file at the first bad one, rebuilds both index files
 * and syncs all three. `shapeOf` gives the shape for the file's size.
 */
export async function recoverSegmentFiles(
  paths: SegmentPaths,
  shapeOf: (size: number) => SegmentShape,
  stillExists: () => boolean,
): Promise<{ indexes: Indexes; end: SegmentEnd; outcome: ScanOutcome }> {
  return withTemporaryHandles(paths, stillExists, async (w) => {
    const rebuilt = await rebuildIndexes(w.log, shapeOf((await w.log.stat()).size), true);
    if (rebuilt.outcome.invalidBytes > 0) await w.log.truncate(rebuilt.outcome.validBytes);
    await writeIndexFiles(w, rebuilt.indexes);
    await Promise.all([w.log.datasync(), w.index.datasync(), w.timeIndex.datasync()]);
    return rebuilt;
  });
}

/**
 * The indexes of an inactive segment: from its index files when they are
 * sound, else rebuilt from the log (and the files rewritten); `end` is set
 * when the log was scanned.
 */
export async function loadSegmentIndexes(
  paths: SegmentPaths,
  shape: SegmentShape,
  stillExists: () => boolean,
): Promise<{ indexes: Indexes; cursor: IndexCursor; end: SegmentEnd | null }> {
  const [offBytes, timeBytes] = await Promise.all([readSmallFile(paths.indexPath), readSmallFile(paths.timeIndexPath)]);
  const decoded = decodeIndexes(shape, offBytes, timeBytes);
  if (decoded !== null) return { ...decoded, end: null };
  return withTemporaryHandles(paths, stillExists, async (w) => {
    const { indexes, end, outcome } = await rebuildIndexes(w.log, shape, false);
    if (outcome.problem !== null) throw new CorruptLogError(paths.logPath, outcome.problem.position, outcome.problem.problem);
    await writeIndexFiles(w, indexes);
    return { indexes, cursor: end.cursor, end };
  });
}

async function writeIndexFiles(w: SegmentHandles, ix: Indexes): Promise<void> {
  await Promise.all([w.index.truncate(0), w.timeIndex.truncate(0)]);
  await Promise.all([writeAt(w.index, ix.offsets.encode(), 0), writeAt(w.timeIndex, ix.times.encode(), 0)]);
}
