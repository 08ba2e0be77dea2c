/**
 * An in-memory RaftStorage with the write side a driver needs: install a
 * snapshot, append (overwriting a suffix), set the hard state, and compact
 * the log into a snapshot. Used by the tests and the simulator as the "disk",
 * and a reference for what a file-backed store must do.
 *
 * Invariants: entries are contiguous from snapshot.index + 1; term(i) is
 * known for snapshot.index ≤ i ≤ lastIndex.
 */
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT_META,
  invariant,
  type Entry,
  type HardState,
  type RaftStorage,
  type Ready,
  type Snapshot,
} from './types.js';

export interface MemoryStorageInit {
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly entries?: readonly Entry[];
}

export class MemoryRaftStorage implements RaftStorage {
  #hardState: HardState;
  #snapshot: Snapshot;
  #entries: Entry[] = [];

  constructor(init: MemoryStorageInit = {}) {
    this.#hardState = init.hardState ?? EMPTY_HARD_STATE;
    this.#snapshot = init.snapshot ?? { meta: EMPTY_SNAPSHOT_META, data: new Uint8Array(0) };
    if (init.entries && init.entries.length > 0) this.append(init.entries);
  }

  initialState(): { hardState: HardState; snapshotMeta: Snapshot['meta'] } {
    return { hardState: this.#hardState, snapshotMeta: this.#snapshot.meta };
  }

  hardState(): HardState {
    return this.#hardState;
  }

  firstIndex(): number {
    return this.#snapshot.meta.index + 1;
  }

  lastIndex(): number {
    return this.#snapshot.meta.index + this.#entries.length;
  }

  term(index: number): number | undefined {
    if (index === this.#snapshot.meta.index) return this.#snapshot.meta.term;
    return this.#entries[index - this.#snapshot.meta.index - 1]?.term;
  }

  entries(lo: number, hi: number, maxCount: number): Entry[] {
    invariant(lo >= this.firstIndex() && hi <= this.lastIndex() + 1, () => `entries [${lo}, ${hi}) outside [${this.firstIndex()}, ${this.lastIndex() + 1})`);
    const base = this.#snapshot.meta.index + 1;
    return this.#entries.slice(lo - base, Math.min(hi, lo + maxCount) - base);
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  setHardState(hardState: HardState): void {
    this.#hardState = hardState;
  }

  /** Append entries; an entry at index i replaces i and everything after it. */
  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const first = entries[0]!.index;
    invariant(first > this.#snapshot.meta.index, () => `append at ${first} is inside the snapshot (${this.#snapshot.meta.index})`);
    invariant(first <= this.lastIndex() + 1, () => `append at ${first} leaves a gap after ${this.lastIndex()}`);
    entries.forEach((e, i) => invariant(e.index === first + i, 'appended entries must be contiguous'));
    this.#entries.length = first - this.#snapshot.meta.index - 1;
    this.#entries.push(...entries);
  }

  /** Install a snapshot received from the leader: the log is replaced by it. */
  applySnapshot(snapshot: Snapshot): void {
    invariant(snapshot.meta.index > this.#snapshot.meta.index, () => `snapshot ${snapshot.meta.index} is older than ${this.#snapshot.meta.index}`);
    this.#snapshot = snapshot;
    this.#entries = [];
  }

  /** Take a snapshot of the applied state at `index` and drop the entries it covers. */
  compact(index: number, data: Uint8Array): void {
    if (index <= this.#snapshot.meta.index) return;
    const term = this.term(index);
    invariant(term !== undefined && index <= this.lastIndex(), () => `cannot compact at ${index}: beyond last index ${this.lastIndex()}`);
    this.#entries = this.#entries.slice(index - this.#snapshot.meta.index);
    this.#snapshot = { meta: { index, term }, data };
  }

  /** Persist a Ready in the required order: snapshot, entries, hard state. */
  persist(rd: Ready): void {
    if (rd.snapshot) this.applySnapshot(rd.snapshot);
    this.append(rd.entries);
    if (rd.hardState) this.setHardState(rd.hardState);
  }
}
