/**
 * The aborted-transaction index of one partition: every transaction that an
 * abort marker closed here, as (producer id, first offset, marker offset,
 * last stable offset after the marker), in marker order. read_committed
 * fetches list the aborted transactions that overlap the data they return,
 * so consumers can drop those records (Kafka's TransactionIndex).
 *
 * Persistence: one file per partition beside the log, `aborted.txnindex`,
 * holding Kafka's .txnindex entries (34 bytes: int16 version 0, int64
 * producer id, int64 first offset, int64 last offset, int64 last stable
 * offset). Kafka keeps one such file per segment; one per partition keeps
 * the log layer unaware of transactions. Entries are appended behind the
 * marker writes and synced before each producer snapshot; on load, entries
 * at or past the offset the snapshot covers are dropped and rebuilt by the
 * log scan that follows (txn-state-loader.ts), and a missing file makes the
 * loader rebuild everything from the log start. Entries whose marker fell
 * below the log start offset are pruned when the file is rewritten.
 */
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export const TXN_INDEX_FILE = 'aborted.txnindex';
const ENTRY_SIZE = 34;
const ENTRY_VERSION = 0;

export interface AbortedTxn {
  readonly producerId: bigint;
  readonly firstOffset: number;
  /** Offset of the abort marker. */
  readonly lastOffset: number;
  /** The partition's last stable offset right after the marker. */
  readonly lastStableOffset: number;
}

/** What a fetch response lists per aborted transaction. */
export interface FetchAbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

export function encodeEntry(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(ENTRY_SIZE);
  b.writeInt16BE(ENTRY_VERSION, 0);
  b.writeBigInt64BE(t.producerId, 2);
  b.writeBigInt64BE(BigInt(t.firstOffset), 10);
  b.writeBigInt64BE(BigInt(t.lastOffset), 18);
  b.writeBigInt64BE(BigInt(t.lastStableOffset), 26);
  return b;
}

/** Decodes whole entries; a torn tail or an unknown version ends the list. */
export function decodeEntries(buf: Buffer): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (let pos = 0; pos + ENTRY_SIZE <= buf.length; pos += ENTRY_SIZE) {
    if (buf.readInt16BE(pos) !== ENTRY_VERSION) break;
    out.push({
      producerId: buf.readBigInt64BE(pos + 2),
      firstOffset: Number(buf.readBigInt64BE(pos + 10)),
      lastOffset: Number(buf.readBigInt64BE(pos + 18)),
      lastStableOffset: Number(buf.readBigInt64BE(pos + 26)),
    });
  }
  return out;
}

export class AbortedTxnIndex {
  private entries: AbortedTxn[];
  /** Entries not yet appended to the file. */
  private unwritten: AbortedTxn[] = [];
  private writing: Promise<void> = Promise.resolve();
  private handle: FileHandle | null = null;
  /** An append failed: the file must be rewritten whole. */
  private broken = false;

  /** dir null: in memory only (tests). */
  constructor(
    private readonly dir: string | null,
    entries: AbortedTxn[] = [],
  ) {
    this.entries = entries;
  }

  /** Reads the partition's file; null when there is none. */
  static async read(dir: string): Promise<AbortedTxn[] | null> {
    try {
      return decodeEntries(await readFile(join(dir, TXN_INDEX_FILE)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  get size(): number {
    return this.entries.length;
  }

  all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /** Adds the entry of an abort marker (markers come in offset order). */
  add(txn: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    if (last && txn.lastOffset <= last.lastOffset) throw new Error(`aborted transaction at ${txn.lastOffset} is not after ${last.lastOffset}`);
    this.entries.push(txn);
    if (this.dir === null) return;
    this.unwritten.push(txn);
    if (this.unwritten.length === 1) this.writing = this.writing.catch(() => undefined).then(() => this.writeUnwritten());
  }

  /**
   * The aborted transactions a read of [fetchOffset, upperBound) must list:
   * those whose marker is at or after fetchOffset and whose first offset is
   * below upperBound. Entries are in marker order; once an entry's last
   * stable offset reaches upperBound no later entry can start below it.
   */
  collect(fetchOffset: number, upperBound: number): FetchAbortedTxn[] {
    const out: FetchAbortedTxn[] = [];
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.entries[mid] as AbortedTxn).lastOffset < fetchOffset) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.entries.length; i++) {
      const t = this.entries[i] as AbortedTxn;
      if (t.firstOffset < upperBound) out.push({ producerId: t.producerId, firstOffset: BigInt(t.firstOffset) });
      if (t.lastStableOffset >= upperBound) break;
    }
    return out;
  }

  /** Waits for appended entries to reach the file and syncs it. */
  async flush(): Promise<void> {
    await this.writing.catch(() => undefined);
    if (this.broken) await this.rewrite();
    await this.handle?.datasync();
  }

  /**
   * Drops entries whose marker is below the log start offset; rewrites the
   * file when they are at least half of it.
   */
  async prune(logStartOffset: number): Promise<void> {
    const stale = this.entries.findIndex((t) => t.lastOffset >= logStartOffset);
    const n = stale < 0 ? this.entries.length : stale;
    if (n === 0 || n * 2 < this.entries.length) return;
    this.entries = this.entries.slice(n);
    await this.rewrite();
  }

  /** Drops entries whose marker is at or past offset (the log was truncated there). */
  async truncateFrom(offset: number): Promise<void> {
    const keep = this.entries.filter((t) => t.lastOffset < offset);
    if (keep.length === this.entries.length) return;
    this.entries = keep;
    await this.rewrite();
  }

  /** Writes the whole file afresh (also creates it when missing). */
  async rewrite(): Promise<void> {
    if (this.dir === null) return;
    const dir = this.dir;
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await this.closeHandle();
      this.unwritten = [];
      this.broken = false;
      const path = join(dir, TXN_INDEX_FILE);
      await writeFile(`${path}.tmp`, Buffer.concat(this.entries.map(encodeEntry)));
      await rename(`${path}.tmp`, path);
    });
    await this.writing;
  }

  async close(): Promise<void> {
    await this.writing.catch(() => undefined);
    await this.closeHandle();
  }

  private async writeUnwritten(): Promise<void> {
    if (this.dir === null || this.unwritten.length === 0) return;
    const batch = this.unwritten;
    this.unwritten = [];
    try {
      this.handle ??= await open(join(this.dir, TXN_INDEX_FILE), 'a');
      await this.handle.write(Buffer.concat(batch.map(encodeEntry)));
    } catch (err) {
      this.broken = true;
      await this.closeHandle().catch(() => undefined);
      throw err;
    }
  }

  private async closeHandle(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    await h?.close();
  }
}
