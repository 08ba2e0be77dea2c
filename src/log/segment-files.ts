/**
 * Temporary write handles on a segment's three files (.log, .index,
 * .timeindex), for recovery and index rebuilds. The active segment's appends
 * and fsyncs borrow its .log handle from the HandleCache instead.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { openReadWrite } from './file-io.js';

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
