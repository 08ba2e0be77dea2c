/**
 * A bounded LRU of file handles for segment `.log` files. No segment keeps a
 * descriptor of its own: reads borrow a read-only handle from here, and the
 * active segment's appends and fsyncs borrow a read-write one (`write`),
 * both opened lazily; beyond `limit` idle handles the least recently used
 * are closed, so the descriptors a broker holds stay bounded however many
 * partitions it has. A handle in use is never closed under its user:
 * eviction (file deleted or truncated away, or a read-only handle replaced
 * by a read-write one) only unmaps it and closes it once idle.
 *
 * fsync through a handle opened after the write still covers the write
 * (durability is per file, not per descriptor).
 *
 * One cache may be shared by every log of a LogManager.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { sep } from 'node:path';

interface Entry {
  readonly path: string;
  readonly handle: Promise<FileHandle>;
  /** Opened read-write. */
  readonly writable: boolean;
  refs: number;
  /** Unmapped from the cache; close when refs drops to 0. */
  doomed: boolean;
}

export class HandleCache {
  readonly #entries = new Map<string, Entry>();
  readonly #closing = new Set<Promise<void>>();
  #opened = 0;

  constructor(readonly limit = 1000) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`handle cache limit ${limit}`);
  }

  /** Handles currently mapped (open or opening). */
  get size(): number {
    return this.#entries.size;
  }

  /** Total handles ever opened (for tests and metrics). */
  get openedCount(): number {
    return this.#opened;
  }

  has(path: string): boolean {
    return this.#entries.has(path);
  }

  /**
   * Runs fn with a handle on path, opening it if needed: read-only, or
   * read-write (never creating the file) when `write`.
   */
  async use<T>(path: string, fn: (fh: FileHandle) => Promise<T>, write = false): Promise<T> {
    let entry = this.#entries.get(path);
    if (entry !== undefined && write && !entry.writable) {
      this.evict(path);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { path, handle: open(path, write ? 'r+' : 'r'), writable: write, refs: 0, doomed: false };
      this.#opened++;
      // Failed opens must not stay cached; the rejection is observed by the awaiter below.
      entry.handle.catch(() => this.#forget(path, entry as Entry));
    } else {
      this.#entries.delete(path); // re-insert as most recently used
    }
    this.#entries.set(path, entry);
    entry.refs++;
    try {
      const fh = await entry.handle;
      return await fn(fh);
    } finally {
      entry.refs--;
      if (entry.doomed && entry.refs === 0) this.#close(entry);
      this.#trim();
    }
  }

  /** Drops the handle of path (the file is going away or changing identity). */
  evict(path: string): void {
    const entry = this.#entries.get(path);
    if (entry === undefined) return;
    this.#entries.delete(path);
    entry.doomed = true;
    if (entry.refs === 0) this.#close(entry);
  }

  /** Drops every handle of files inside dir. */
  evictUnder(dir: string): void {
    const prefix = dir.endsWith(sep) ? dir : dir + sep;
    for (const path of [...this.#entries.keys()]) {
      if (path.startsWith(prefix)) this.evict(path);
    }
  }

  async closeAll(): Promise<void> {
    for (const path of [...this.#entries.keys()]) this.evict(path);
    await Promise.all([...this.#closing]);
  }

  #forget(path: string, entry: Entry): void {
    if (this.#entries.get(path) === entry) this.#entries.delete(path);
  }

  #trim(): void {
    if (this.#entries.size <= this.limit) return;
    for (const entry of this.#entries.values()) {
      if (this.#entries.size <= this.limit) break;
      if (entry.refs === 0) this.evict(entry.path);
    }
  }

  #close(entry: Entry): void {
    const p = entry.handle.then(
      (fh) => fh.close(),
      () => undefined,
    );
    const tracked = p.catch(() => undefined).finally(() => this.#closing.delete(tracked));
    this.#closing.add(tracked);
  }
}
