/**
 * FileRaftStorage: the durable Raft state of one node, in KRaft's layout
 * inside the metadata log directory (`__cluster_metadata-0`):
 *
 * - the log: a PartitionLog whose record at offset i - 1 is Raft entry i,
 *   in batches whose partitionLeaderEpoch is the entries' term
 *   (metadata-batches.ts);
 * - `quorum-state`: term and vote (quorum-state-file.ts), written atomically;
 * - `<endOffset>-<epoch>.checkpoint`: the latest snapshot
 *   (snapshot-file.ts); the log starts at its end offset.
 *
 * It implements the core's read-only RaftStorage from an in-memory mirror
 * of the entries after the snapshot (the metadata log is small and bounded
 * by snapshots), and the driver's write side: `persist(ready)` in the order
 * the core requires (snapshot, entries, hard state, each durable before the
 * next), and `compact` after a local snapshot.
 *
 * Truncation of a divergent suffix uses PartitionLog.truncateTo. Followers
 * keep the leader's batch boundaries (`noteBatchEnds`), so a suffix always
 * starts at a batch boundary; should it not, the rest of the cut batch is
 * written again after the truncation (logged, never expected).
 *
 * Recovery: the log recovers itself (torn tail dropped); the newest complete
 * checkpoint wins, incomplete ones are deleted; entries at or below the
 * snapshot are ignored; a log that ends before the snapshot, or starts after
 * it, restarts at the snapshot's end offset (truncateFullyAndStartAt).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PartitionLog } from '../log/partition-log.js';
import { resolveLogConfig } from '../log/log-config.js';
import type { Clock } from '../platform/clock.js';
import { listFiles, removeFile, writeFileAtomic, readFileIfExists } from '../platform/files.js';
import { decodeEntries, encodeEntries } from './metadata-batches.js';
import { readQuorumState, writeQuorumState } from './quorum-state-file.js';
import { isCompleteSnapshot, parseSnapshotFileName, PARTIAL_SUFFIX, snapshotFileName, SNAPSHOT_SUFFIX, type SnapshotId } from './snapshot-file.js';
import { NO_NODE, type Entry, type HardState, type RaftStorage, type Ready, type Snapshot, type SnapshotMeta } from './raft/types.js';

const READ_CHUNK_BYTES = 8 * 1024 * 1024;
const METADATA_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface FileRaftStorageOptions {
  /** The metadata log directory (…/__cluster_metadata-0). */
  readonly dir: string;
  readonly clusterId: string;
  readonly voters: readonly number[];
  readonly logger: Logger;
  readonly clock: Clock;
}

export class StorageCorruptError extends Error {
  readonly code = 'KRILL_RAFT_STORAGE';
}

export class FileRaftStorage implements RaftStorage {
  readonly #log: PartitionLog;
  #snapshot: Snapshot;
  #hardState: HardState;
  /** Entries base + 1 .. base + terms.length. */
  #terms: number[] = [];
  #data: Uint8Array[] = [];
  #dataBytes = 0;
  /** First index of each on-disk batch after the snapshot, ascending. */
  #batchStarts: number[] = [];
  /** Batch ends of the leader's log for entries not yet written here. */
  readonly #pendingEnds = new Set<number>();
  /** Leader of each term (for LeaderChange records). */
  readonly #leaders = new Map<number, number>();
  #persistedLeader = NO_NODE;

  private constructor(
    private readonly opts: FileRaftStorageOptions,
    log: PartitionLog,
    snapshot: Snapshot,
    hardState: HardState,
  ) {
    this.#log = log;
    this.#snapshot = snapshot;
    this.#hardState = hardState;
  }

  static async open(opts: FileRaftStorageOptions): Promise<FileRaftStorage> {
    const quorum = await readQuorumState(opts.dir);
    const snapshot = await loadLatestSnapshot(opts.dir, opts.logger);
    const log = await openLog(opts.dir, opts.logger);
    const s = snapshot.meta.index;
    if (log.logEndOffset < s || log.logStartOffset > s) {
      if (s === 0) throw new StorageCorruptError(`${opts.dir}: the metadata log starts at ${log.logStartOffset} but there is no snapshot covering the offsets below`);
      opts.logger.warn({ dir: opts.dir, logStart: log.logStartOffset, logEnd: log.logEndOffset, snapshotEnd: s }, 'metadata log does not reach the snapshot: restarting it at the snapshot');
      await log.truncateFullyAndStartAt(s);
    }
    const hard: HardState = { term: quorum?.leaderEpoch ?? 0, votedFor: quorum?.votedId ?? NO_NODE, commit: 0 };
    const storage = new FileRaftStorage(opts, log, snapshot, hard);
    storage.#persistedLeader = quorum?.leaderId ?? NO_NODE;
    await storage.#loadEntries();
    return storage;
  }

  async #loadEntries(): Promise<void> {
    let lastTerm = this.#snapshot.meta.term;
    while (this.lastIndex() < this.#log.logEndOffset) {
      const { records } = await this.#log.read(this.lastIndex(), READ_CHUNK_BYTES, { minOneBatch: true });
      const decoded = decodeEntries(records);
      if (decoded.entries.length === 0) break;
      for (const [term, leader] of decoded.leaders) this.#leaders.set(term, leader);
      decoded.batchStarts.forEach((start, i) => {
        const end = decoded.batchEnds[i]!;
        if (end > this.lastIndex()) this.#batchStarts.push(Math.max(start, this.lastIndex() + 1));
      });
      for (const e of decoded.entries) {
        if (e.index <= this.lastIndex()) continue;
        if (e.index !== this.lastIndex() + 1) throw new StorageCorruptError(`${this.opts.dir}: entry at offset ${e.index - 1} follows offset ${this.lastIndex() - 1}`);
        if (e.term < lastTerm) throw new StorageCorruptError(`${this.opts.dir}: term goes back from ${lastTerm} to ${e.term} at offset ${e.index - 1}`);
        lastTerm = e.term;
        this.#push(e);
      }
    }
    if (this.lastIndex() !== this.#log.logEndOffset) {
      throw new StorageCorruptError(`${this.opts.dir}: read entries through offset ${this.lastIndex() - 1} but the log ends at ${this.#log.logEndOffset}`);
    }
  }

  #push(e: Entry): void {
    this.#terms.push(e.term);
    this.#data.push(e.data);
    this.#dataBytes += e.data.length;
  }

  // ------------------------------------------------------------ RaftStorage

  initialState(): { hardState: HardState; snapshotMeta: SnapshotMeta } {
    return { hardState: this.#hardState, snapshotMeta: this.#snapshot.meta };
  }

  firstIndex(): number {
    return this.#snapshot.meta.index + 1;
  }

  lastIndex(): number {
    return this.#snapshot.meta.index + this.#terms.length;
  }

  term(index: number): number | undefined {
    const base = this.#snapshot.meta.index;
    if (index === base) return this.#snapshot.meta.term;
    return this.#terms[index - base - 1];
  }

  entries(lo: number, hi: number, maxCount: number): Entry[] {
    const base = this.#snapshot.meta.index;
    const end = Math.min(hi, lo + maxCount, this.lastIndex() + 1);
    const out: Entry[] = [];
    for (let i = Math.max(lo, base + 1); i < end; i++) out.push({ index: i, term: this.#terms[i - base - 1]!, data: this.#data[i - base - 1]! });
    return out;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  // ------------------------------------------------------------ queries for the transport

  get hardState(): HardState {
    return this.#hardState;
  }

  /** Bytes of entry data held since the snapshot (the snapshot trigger). */
  get bytesSinceSnapshot(): number {
    return this.#dataBytes;
  }

  get logStartOffset(): number {
    return this.#log.logStartOffset;
  }

  /**
   * KRaft's endOffsetForEpoch: the largest term ≤ `epoch` held here and the
   * last index holding it (its end offset). Undefined when that point is
   * below the snapshot (the asker needs the snapshot).
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } | undefined {
    const terms = this.#terms;
    let lo = 0;
    let hi = terms.length; // first position with term > epoch
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (terms[mid]! <= epoch) lo = mid + 1;
      else hi = mid;
    }
    const base = this.#snapshot.meta.index;
    if (lo > 0) return { epoch: terms[lo - 1]!, endOffset: base + lo };
    if (this.#snapshot.meta.term <= epoch) return { epoch: this.#snapshot.meta.term, endOffset: base };
    return undefined;
  }

  /**
   * Whole batches from `offset` (the first may start below it), as stored,
   * and only durable ones: a batch still being written or fsync'd (it is not
   * in the mirror yet) is not served, so a follower never holds an entry the
   * leader could lose in a crash.
   */
  async readBatches(offset: number, maxBytes: number): Promise<Buffer> {
    const { records } = await this.#log.read(offset, maxBytes, { minOneBatch: true, maxOffset: this.lastIndex() });
    return records;
  }

  /** Leader of a term, as far as this node knows. */
  leaderOf(term: number): number {
    return this.#leaders.get(term) ?? NO_NODE;
  }

  noteLeader(term: number, leaderId: number): void {
    if (leaderId !== NO_NODE) this.#leaders.set(term, leaderId);
  }

  /** The leader's batch ends for entries about to be received, so this log keeps the same boundaries. */
  noteBatchEnds(ends: readonly number[]): void {
    for (const e of ends) if (e > this.lastIndex()) this.#pendingEnds.add(e);
  }

  // ------------------------------------------------------------ writes (the driver only)

  /** Persists a Ready: snapshot, then entries, then hard state, each durable before the next. */
  async persist(rd: Ready, leaderId: number): Promise<void> {
    if (rd.snapshot) await this.#installSnapshot(rd.snapshot);
    if (rd.entries.length > 0) await this.#appendEntries(rd.entries);
    const hs = rd.hardState;
    if (hs) {
      const changed = hs.term !== this.#hardState.term || hs.votedFor !== this.#hardState.votedFor;
      const leader = leaderId !== NO_NODE && this.#leaders.get(hs.term) === leaderId ? leaderId : NO_NODE;
      if (changed || (leader !== this.#persistedLeader && hs.term === this.#hardState.term && leader !== NO_NODE)) {
        await writeQuorumState(this.opts.dir, this.opts.clusterId, { leaderEpoch: hs.term, votedId: hs.votedFor, leaderId: leader }, this.opts.voters);
        this.#persistedLeader = leader;
      }
      this.#hardState = hs;
    }
  }

  async #appendEntries(entries: readonly Entry[]): Promise<void> {
    const base = this.#snapshot.meta.index;
    const first = entries[0]!.index;
    if (first <= base || first > this.lastIndex() + 1) {
      throw new StorageCorruptError(`append at ${first} outside (${base}, ${this.lastIndex() + 1}]`);
    }
    let toWrite = entries;
    if (first <= this.lastIndex()) {
      const cut = this.#batchContaining(first);
      if (cut < first) {
        this.opts.logger.warn({ index: first, batchStart: cut }, 'metadata log truncation inside a batch: rewriting the batch prefix');
        toWrite = [...this.entries(cut, first, first - cut), ...entries];
      }
      await this.#log.truncateTo(toWrite[0]!.index - 1);
      this.#truncateMemory(toWrite[0]!.index);
    }
    const { bytes, batchStarts } = encodeEntries(
      toWrite,
      { leaderOf: (t) => this.leaderOf(t), voters: this.opts.voters, timestampMs: this.opts.clock.now() },
      this.#pendingEnds,
    );
    const res = await this.#log.append(bytes);
    if (res.baseOffset !== toWrite[0]!.index - 1) {
      throw new StorageCorruptError(`metadata log appended at offset ${res.baseOffset}, expected ${toWrite[0]!.index - 1}`);
    }
    await this.#log.flush();
    for (const e of toWrite) this.#push(e);
    this.#batchStarts.push(...batchStarts);
    for (const end of this.#pendingEnds) if (end <= this.lastIndex()) this.#pendingEnds.delete(end);
  }

  /** First index of the on-disk batch holding `index`. */
  #batchContaining(index: number): number {
    const starts = this.#batchStarts;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 ? starts[lo - 1]! : index;
  }

  #truncateMemory(from: number): void {
    const keep = from - this.#snapshot.meta.index - 1;
    for (let i = keep; i < this.#data.length; i++) this.#dataBytes -= this.#data[i]!.length;
    this.#terms.length = keep;
    this.#data.length = keep;
    while (this.#batchStarts.length > 0 && this.#batchStarts[this.#batchStarts.length - 1]! >= from) this.#batchStarts.pop();
  }

  /** A snapshot received from the leader replaces the whole log. */
  async #installSnapshot(snapshot: Snapshot): Promise<void> {
    const bytes = Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength);
    if (!isCompleteSnapshot(bytes)) throw new StorageCorruptError(`snapshot ${snapshot.meta.index}-${snapshot.meta.term} is incomplete`);
    const id = { endOffset: snapshot.meta.index, epoch: snapshot.meta.term };
    await this.#writeSnapshotFile(id, bytes);
    const s = id.endOffset;
    if (this.#log.logStartOffset <= s && s <= this.#log.logEndOffset) {
      await this.#log.truncateTo(s);
      await this.#log.deleteRecordsBefore(s, 'snapshot');
    } else {
      await this.#log.truncateFullyAndStartAt(s);
    }
    this.#snapshot = { meta: snapshot.meta, data: bytes };
    this.#terms = [];
    this.#data = [];
    this.#dataBytes = 0;
    this.#batchStarts = [];
    this.#pendingEnds.clear();
    await this.#removeOtherSnapshots(id);
  }

  /**
   * A snapshot of the locally applied state at `index` (≤ the commit index):
   * write the checkpoint, then drop the entries it covers from memory and
   * move the log start up to it.
   */
  async compact(index: number, bytes: Buffer): Promise<void> {
    const base = this.#snapshot.meta.index;
    if (index <= base) return;
    const term = this.term(index);
    if (term === undefined) throw new StorageCorruptError(`cannot snapshot at ${index}: beyond the log end ${this.lastIndex()}`);
    const id = { endOffset: index, epoch: term };
    await this.#writeSnapshotFile(id, bytes);
    const drop = index - base;
    for (let i = 0; i < drop; i++) this.#dataBytes -= this.#data[i]!.length;
    this.#terms = this.#terms.slice(drop);
    this.#data = this.#data.slice(drop);
    this.#snapshot = { meta: { index, term }, data: bytes };
    const keep = this.#batchStarts.filter((b) => b > index);
    this.#batchStarts = keep.length > 0 && this.lastIndex() > index && keep[0] !== index + 1 ? [index + 1, ...keep] : keep;
    await this.#log.deleteRecordsBefore(index, 'snapshot');
    await this.#removeOtherSnapshots(id);
  }

  async #writeSnapshotFile(id: SnapshotId, bytes: Buffer): Promise<void> {
    await writeFileAtomic(this.opts.dir, snapshotFileName(id), bytes, PARTIAL_SUFFIX);
  }

  async #removeOtherSnapshots(keep: SnapshotId): Promise<void> {
    const name = snapshotFileName(keep);
    for (const f of await listFiles(this.opts.dir)) {
      // Only snapshot files (the log's own partition.checkpoint lives here too).
      const snapshot = parseSnapshotFileName(f) ?? (f.endsWith(PARTIAL_SUFFIX) ? parseSnapshotFileName(f.slice(0, -PARTIAL_SUFFIX.length)) : null);
      if (snapshot && f !== name) await removeFile(join(this.opts.dir, f));
    }
  }

  async close(): Promise<void> {
    await this.#log.close();
  }
}

async function openLog(dir: string, logger: Logger): Promise<PartitionLog> {
  return PartitionLog.open(dir, resolveLogConfig({ segmentBytes: METADATA_SEGMENT_BYTES }), logger.child({ component: 'metadata-log' }));
}

/** The newest complete checkpoint in dir (incomplete and older ones are deleted). */
async function loadLatestSnapshot(dir: string, logger: Logger): Promise<Snapshot> {
  const found: SnapshotId[] = [];
  for (const f of await listFiles(dir)) {
    if (f.endsWith(SNAPSHOT_SUFFIX + PARTIAL_SUFFIX) && parseSnapshotFileName(f.slice(0, -PARTIAL_SUFFIX.length))) {
      await removeFile(join(dir, f));
      continue;
    }
    const id = parseSnapshotFileName(f);
    if (id) found.push(id);
  }
  found.sort((a, b) => b.endOffset - a.endOffset);
  let chosen: Snapshot | undefined;
  for (const id of found) {
    const path = join(dir, snapshotFileName(id));
    if (chosen) {
      await removeFile(path);
      continue;
    }
    const bytes = await readFileIfExists(path);
    if (bytes && isCompleteSnapshot(bytes)) {
      chosen = { meta: { index: id.endOffset, term: id.epoch }, data: bytes };
    } else {
      logger.warn({ path }, 'deleting an incomplete metadata snapshot');
      await removeFile(path);
    }
  }
  return chosen ?? { meta: { index: 0, term: 0 }, data: new Uint8Array(0) };
}
