/**
 * The log as one Raft node sees it: the persisted part, read through the
 * driver's `RaftStorage`, followed by an unstable tail the driver has not yet
 * persisted (and possibly a received snapshot not yet installed).
 *
 * Invariants:
 * - applied ≤ committed ≤ lastIndex.
 * - Committed entries are never truncated: an append that conflicts at or
 *   below the commit index is a broken invariant, not a condition to handle.
 * - Unstable entries start at `#offset`; for indexes ≥ `#offset` they take
 *   precedence over whatever storage still holds there (the driver will
 *   overwrite that suffix when it persists them).
 */
import { invariant, type Entry, type RaftStorage, type Snapshot } from './types.js';
import { isLogUpToDate } from './quorum.js';

export class RaftLog {
  readonly #storage: RaftStorage;
  #pendingSnapshot: Snapshot | undefined;
  #offset: number;
  #unstable: Entry[] = [];
  #committed: number;
  #applied: number;

  constructor(storage: RaftStorage, committed: number, applied: number) {
    this.#storage = storage;
    this.#offset = storage.lastIndex() + 1;
    const snapshotIndex = storage.firstIndex() - 1;
    this.#committed = Math.max(committed, snapshotIndex);
    this.#applied = Math.max(applied, snapshotIndex);
    invariant(this.#committed <= storage.lastIndex(), () => `commit ${this.#committed} beyond last index ${storage.lastIndex()}`);
    invariant(this.#applied <= this.#committed, () => `applied ${this.#applied} beyond commit ${this.#committed}`);
  }

  get committed(): number {
    return this.#committed;
  }

  get applied(): number {
    return this.#applied;
  }

  firstIndex(): number {
    return this.#pendingSnapshot ? this.#pendingSnapshot.meta.index + 1 : this.#storage.firstIndex();
  }

  lastIndex(): number {
    if (this.#unstable.length > 0) return this.#offset + this.#unstable.length - 1;
    if (this.#pendingSnapshot) return this.#pendingSnapshot.meta.index;
    return this.#storage.lastIndex();
  }

  /** The term at `index`, or undefined when it is compacted away or beyond the end. Index 0 has term 0. */
  term(index: number): number | undefined {
    if (index >= this.#offset) {
      const entry = this.#unstable[index - this.#offset];
      if (entry) return entry.term;
      if (this.#unstable.length > 0 || index > this.lastIndex()) return undefined;
    }
    if (this.#pendingSnapshot) {
      return index === this.#pendingSnapshot.meta.index ? this.#pendingSnapshot.meta.term : undefined;
    }
    if (index < this.#storage.firstIndex() - 1 || index > this.#storage.lastIndex()) return undefined;
    if (index === 0) return 0;
    return this.#storage.term(index);
  }

  lastTerm(): number {
    const term = this.term(this.lastIndex());
    invariant(term !== undefined, 'the last index always has a known term');
    return term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  isUpToDate(lastTerm: number, lastIndex: number): boolean {
    return isLogUpToDate(lastTerm, lastIndex, this.lastTerm(), this.lastIndex());
  }

  /** Entries in [lo, hi), at most maxCount; lo must be ≥ firstIndex and hi ≤ lastIndex + 1. */
  slice(lo: number, hi: number, maxCount: number): Entry[] {
    invariant(lo >= this.firstIndex() && hi <= this.lastIndex() + 1, () => `slice [${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex() + 1})`);
    const end = Math.min(hi, lo + maxCount);
    if (lo >= end) return [];
    const out: Entry[] = [];
    if (lo < this.#offset) {
      out.push(...this.#storage.entries(lo, Math.min(end, this.#offset), end - lo));
      invariant(out.length === Math.min(end, this.#offset) - lo, () => `storage returned ${out.length} entries for [${lo}, ${Math.min(end, this.#offset)})`);
    }
    if (end > this.#offset) {
      const from = Math.max(lo, this.#offset) - this.#offset;
      out.push(...this.#unstable.slice(from, end - this.#offset));
    }
    return out;
  }

  /** The snapshot to send a follower that is behind the log start. */
  snapshot(): Snapshot {
    return this.#pendingSnapshot ?? this.#storage.snapshot();
  }

  /**
   * Append entries that continue at or before the end of the log, replacing
   * everything from entries[0].index on. Returns the new last index.
   */
  append(entries: readonly Entry[]): number {
    if (entries.length === 0) return this.lastIndex();
    const after = entries[0]!.index;
    invariant(after > this.#committed, () => `append at ${after} would overwrite committed index ${this.#committed}`);
    invariant(after <= this.lastIndex() + 1, () => `append at ${after} leaves a gap after ${this.lastIndex()}`);
    if (after === this.#offset + this.#unstable.length) {
      this.#unstable.push(...entries);
    } else if (after <= this.#offset) {
      this.#offset = after;
      this.#unstable = [...entries];
    } else {
      this.#unstable = this.#unstable.slice(0, after - this.#offset).concat(entries);
    }
    return this.lastIndex();
  }

  /**
   * The follower side of AppendEntries: if our log holds (prevIndex,
   * prevTerm), append what is new (truncating at the first conflicting
   * entry), advance the commit to min(leaderCommit, last new index), and
   * return the last new index. Otherwise return undefined.
   */
  maybeAppend(prevIndex: number, prevTerm: number, leaderCommit: number, entries: readonly Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + entries.length;
    const conflict = this.#findConflict(entries);
    if (conflict !== 0) this.append(entries.slice(conflict - entries[0]!.index));
    this.commitTo(Math.min(leaderCommit, lastNew));
    return lastNew;
  }

  /** The index of the first entry that is new or differs in term, 0 when all are already present. */
  #findConflict(entries: readonly Entry[]): number {
    for (const entry of entries) {
      if (!this.matchTerm(entry.index, entry.term)) return entry.index;
    }
    return 0;
  }

  /** The first index of the run of `term` that ends at `index`, not going below committed + 1. */
  firstIndexOfTermAt(index: number, term: number): number {
    let i = index;
    while (i - 1 > this.#committed && this.term(i - 1) === term) i -= 1;
    return i;
  }

  /** The last index ≤ `upTo` holding `term`, or 0 if the log has no entry of that term there. */
  lastIndexOfTerm(term: number, upTo: number): number {
    for (let i = Math.min(upTo, this.lastIndex()); i >= this.firstIndex() - 1 && i > 0; i -= 1) {
      const t = this.term(i);
      if (t === undefined || t < term) return 0;
      if (t === term) return i;
    }
    return 0;
  }

  commitTo(index: number): boolean {
    if (index <= this.#committed) return false;
    invariant(index <= this.lastIndex(), () => `commit ${index} beyond last index ${this.lastIndex()}`);
    this.#committed = index;
    return true;
  }

  /** Replace the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    invariant(snapshot.meta.index > this.#committed, () => `snapshot at ${snapshot.meta.index} is not past commit ${this.#committed}`);
    this.#pendingSnapshot = snapshot;
    this.#offset = snapshot.meta.index + 1;
    this.#unstable = [];
    this.#committed = snapshot.meta.index;
  }

  unstableEntries(): readonly Entry[] {
    return this.#unstable;
  }

  pendingSnapshot(): Snapshot | undefined {
    return this.#pendingSnapshot;
  }

  hasNextCommittedEntries(): boolean {
    return this.#committed > Math.max(this.#applied, this.firstIndex() - 1);
  }

  nextCommittedEntries(maxCount: number): Entry[] {
    const lo = Math.max(this.#applied + 1, this.firstIndex());
    if (lo > this.#committed) return [];
    return this.slice(lo, this.#committed + 1, maxCount);
  }

  /**
   * The driver persisted entries through (index, term): drop them from the
   * unstable tail if still there. Returns false when that entry has since
   * been replaced in memory (a newer leader overwrote it before the write
   * finished), in which case the replacement is still unstable.
   */
  stableTo(index: number, term: number): boolean {
    if (index < this.#offset || this.term(index) !== term) return false;
    this.#unstable = this.#unstable.slice(index + 1 - this.#offset);
    this.#offset = index + 1;
    return true;
  }

  /** The driver installed the snapshot at `index`. */
  stableSnapshotTo(index: number): void {
    if (this.#pendingSnapshot?.meta.index === index) this.#pendingSnapshot = undefined;
  }

  appliedTo(index: number): void {
    if (index <= this.#applied) return;
    invariant(index <= this.#committed, () => `applied ${index} beyond commit ${this.#committed}`);
    this.#applied = index;
  }
}
