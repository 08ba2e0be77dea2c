/**
 * Plain data types shared by the Raft core: log entries, persisted state,
 * snapshots, the read-only storage view the core reads its log through, and
 * the `Ready` batch it hands to its driver.
 *
 * Indexes are 1-based, as in the Raft paper; index 0 with term 0 is the empty
 * log. The mapping to KRaft's offsets and epochs is direct: an entry at index
 * i is the record at offset i - 1, a term is an epoch, the last index equals
 * the log end offset, and the commit index equals the high watermark.
 */

import type { Message } from './messages.js';

/** A node (replica) id. Non-negative, as Kafka node ids are. */
export type NodeId = number;

/** "No node": no vote cast, no leader known. KRaft uses -1 the same way. */
export const NO_NODE: NodeId = -1;

/**
 * One log entry. `data` is opaque to Raft. A zero-length `data` is the
 * marker a new leader appends at the start of its term (KRaft writes a
 * LeaderChangeMessage control record there); state machines skip it.
 */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log: current term, vote, and commit. */
export interface HardState {
  readonly term: number;
  readonly votedFor: NodeId;
  readonly commit: number;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, votedFor: NO_NODE, commit: 0 };

/** Identifies a snapshot: it covers the log up to and including `index`, whose term is `term`. KRaft's SnapshotId {EndOffset, Epoch}. */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
}

export const EMPTY_SNAPSHOT_META: SnapshotMeta = { index: 0, term: 0 };

export interface Snapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/**
 * The persisted log as the core sees it: read-only. The driver owns the
 * writes. Before calling `advance(ready)` it must have made the Ready's
 * snapshot, entries and hard state durable *and* visible through this view.
 *
 * Valid indexes for `term` are `firstIndex() - 1` (the snapshot's index)
 * through `lastIndex()`; anything else returns undefined.
 */
export interface RaftStorage {
  /** Persisted hard state and snapshot metadata; read once, when a node is constructed. */
  initialState(): { hardState: HardState; snapshotMeta: SnapshotMeta };
  /** The first index still held as an entry (snapshot index + 1). */
  firstIndex(): number;
  /** The last persisted index (the snapshot index when no entries follow it). */
  lastIndex(): number;
  term(index: number): number | undefined;
  /** Entries in [lo, hi), at most `maxCount` of them; lo ≥ firstIndex, hi ≤ lastIndex + 1. */
  entries(lo: number, hi: number, maxCount: number): Entry[];
  /** The latest snapshot, with its data, for a follower that is behind the log start. */
  snapshot(): Snapshot;
}

export type RoleKind = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile facts a driver may want to react to (leader changes, role changes). Not persisted. */
export interface SoftState {
  readonly role: RoleKind;
  readonly leaderId: NodeId;
}

/**
 * Everything the driver must do after an input, in this order:
 *   1. persist `snapshot` (install it), then `entries` (an entry at index i
 *      replaces index i and everything after it), then `hardState`; fsync
 *      when `mustSync`;
 *   2. send `messages`; they may only leave once step 1 is durable (a vote
 *      or an append acknowledgement is a promise about the disk);
 *   3. restore the state machine from `snapshot` if present, then apply
 *      `committedEntries` in order;
 *   4. call `advance(ready)`.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly snapshot?: Snapshot;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly mustSync: boolean;
}

export type ProposeError =
  /** This node is not the leader; `leaderId` is the leader it knows of, or NO_NODE. */
  | 'NOT_LEADER'
  /** The leader is handing leadership to another node and takes no new entries. */
  | 'LEADER_TRANSFER_IN_PROGRESS'
  /** Too many uncommitted entries (maxUncommittedEntries); retry later. */
  | 'PROPOSAL_DROPPED';

export type ProposeResult =
  | { readonly ok: true; readonly firstIndex: number; readonly lastIndex: number; readonly term: number }
  | { readonly ok: false; readonly error: ProposeError; readonly leaderId: NodeId };

/** Thrown when a Raft invariant is broken: a bug, never an expected condition. */
export class RaftInvariantError extends Error {
  readonly code = 'RAFT_INVARIANT';
  constructor(message: string) {
    super(message);
    this.name = 'RaftInvariantError';
  }
}

export function invariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new RaftInvariantError(typeof message === 'string' ? message : message());
}
