/**
 * Files waiting out file.delete.delay.ms before removal (Kafka's
 * asynchronous segment delete): retention, DeleteRecords and the cleaner
 * rename a segment's files to `.deleted` and schedule them here; a reader
 * that still holds a handle keeps reading the old file meanwhile. Nothing
 * here reads the clock or sets a timer: `runDue(nowMs)` is called by the
 * log manager's maintenance tick. A crash loses the schedule but not
 * safety: the log loader removes leftover `.deleted` files on start.
 */
import { unlinkIfExists } from './file-io.js';

interface Pending {
  readonly path: string;
  readonly dueMs: number;
}

export class DeferredDeletes {
  #pending: Pending[] = [];

  get size(): number {
    return this.#pending.length;
  }

  schedule(paths: readonly string[], dueMs: number): void {
    for (const path of paths) this.#pending.push({ path, dueMs });
  }

  /** Removes the files whose delay has passed; returns how many were removed. */
  async runDue(nowMs: number): Promise<number> {
    const due = this.#pending.filter((p) => p.dueMs <= nowMs);
    if (due.length === 0) return 0;
    this.#pending = this.#pending.filter((p) => p.dueMs > nowMs);
    let removed = 0;
    for (const p of due) if (await unlinkIfExists(p.path)) removed++;
    return removed;
  }

  /** Removes every scheduled file now (shutdown, or a log being deleted). */
  runAll(): Promise<number> {
    return this.runDue(Number.POSITIVE_INFINITY);
  }
}
