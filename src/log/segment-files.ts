/**
 * The three write handles of a segment (.log, .index, .timeindex).
 *
 * SegmentWriter belongs to the active segment. `sync()` may run alongside
 * appends (group-committed flushes); `close()` waits for in-flight syncs so
 * a handle is never closed under one.
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

export class SegmentWriter implements SegmentHandles {
  #syncs = 0;
  #onIdle: Array<() => void> = [];

  private constructor(
    readonly log: FileHandle,
    readonly index: FileHandle,
    readonly timeIndex: FileHandle,
  ) {}

  /** Opens (creating) the three files read-write; `truncate` empties them. */
  static async open(paths: SegmentPaths, truncate: boolean): Promise<SegmentWriter> {
    const opened: FileHandle[] = [];
    try {
      for (const path of [paths.logPath, paths.indexPath, paths.timeIndexPath]) {
        opened.push(await openReadWrite(path, truncate));
      }
    } catch (err) {
      await Promise.all(opened.map((h) => h.close()));
      throw err;
    }
    const [log, index, timeIndex] = opened as [FileHandle, FileHandle, FileHandle];
    return new SegmentWriter(log, index, timeIndex);
  }

  /** datasync of all three files. */
  async sync(): Promise<void> {
    this.#syncs++;
    try {
      await Promise.all([this.log.datasync(), this.index.datasync(), this.timeIndex.datasync()]);
    } finally {
      this.#syncs--;
      if (this.#syncs === 0) for (const wake of this.#onIdle.splice(0)) wake();
    }
  }

  /** Closes the handles once no sync is in flight. */
  async close(): Promise<void> {
    while (this.#syncs > 0) await new Promise<void>((resolve) => this.#onIdle.push(resolve));
    await Promise.all([this.log.close(), this.index.close(), this.timeIndex.close()]);
  }
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
