/**
 * RaftNode: the public face of the pure Raft core. Inputs are `tick()`,
 * `step(message)`, `propose(data)`, `campaign()` and
 * `transferLeadership(to)`; outputs come out of `ready()`. Nothing here
 * touches a clock, socket, file or global randomness: time is logical ticks
 * and randomness comes from the injected `Random`, so a whole cluster runs
 * deterministically under a seeded simulator.
 *
 * Driver loop (one owner, no other code touches the node):
 *
 *   on tick / message / proposal:  node.tick() | node.step(m) | node.propose(d)
 *   while (node.hasReady()) {
 *     const rd = node.ready();
 *     persist rd.snapshot, rd.entries, rd.hardState (fsync if rd.mustSync);
 *     send rd.messages;                      // only after the persist is durable
 *     restore rd.snapshot, apply rd.committedEntries;
 *     node.advance(rd);
 *   }
 *
 * Inputs may be stepped between `ready()` and `advance()` (the driver may
 * keep receiving while it persists), but `ready()` may not be called again
 * until the previous Ready is advanced.
 */
import { RaftCore, type RaftConfig } from './core.js';
import type { Message } from './messages.js';
import { CandidateRole } from './roles/candidate.js';
import { LeaderRole } from './roles/leader.js';
import type { PeerStatus } from './progress.js';
import {
  invariant,
  NO_NODE,
  type Entry,
  type HardState,
  type NodeId,
  type ProposeResult,
  type Ready,
  type RoleKind,
  type SoftState,
} from './types.js';

export type { RaftConfig } from './core.js';
export type { PeerStatus } from './progress.js';

/** A snapshot of the node's state for DescribeQuorum, metrics and tests. */
export interface RaftStatus {
  readonly id: NodeId;
  readonly role: RoleKind;
  readonly isObserver: boolean;
  readonly term: number;
  readonly votedFor: NodeId;
  readonly leaderId: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  /** Leader only: each follower's and observer's replication progress. */
  readonly progress?: ReadonlyMap<NodeId, PeerStatus>;
  readonly leadTransferee: NodeId;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.votedFor === b.votedFor && a.commit === b.commit;
}

export class RaftNode {
  readonly #core: RaftCore;
  #prevHardState: HardState;
  #prevSoftState: SoftState;
  #outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.#core = new RaftCore(config);
    this.#prevHardState = config.storage.initialState().hardState;
    this.#prevSoftState = this.#softState();
  }

  get id(): NodeId {
    return this.#core.id;
  }

  /** Advance logical time by one tick. */
  tick(): void {
    this.#core.tick();
  }

  /** Feed in a message from a peer. Messages for another node or from a non-member are ignored. */
  step(message: Message): void {
    this.#core.step(message);
  }

  /** Start an election now (pre-vote first when enabled). No-op for observers and leaders. */
  campaign(): void {
    this.#core.campaign(this.#core.limits.preVote ? 'pre-vote' : 'election');
  }

  /** Append one entry per element (an empty list appends nothing); only the leader accepts proposals. */
  propose(data: readonly Uint8Array[]): ProposeResult {
    const role = this.#core.role;
    if (!(role instanceof LeaderRole)) return { ok: false, error: 'NOT_LEADER', leaderId: this.#core.leaderId };
    return role.propose(data);
  }

  /** Leader only: hand leadership to voter `to` (controlled shutdown). Returns false when not leader. */
  transferLeadership(to: NodeId): boolean {
    const role = this.#core.role;
    if (!(role instanceof LeaderRole) || to === this.#core.id || !this.#core.isVoter(to)) return false;
    role.transferLeadership(to);
    return true;
  }

  hasReady(): boolean {
    if (this.#outstanding) return false;
    const core = this.#core;
    const log = core.log;
    const soft = this.#softState();
    return (
      soft.role !== this.#prevSoftState.role ||
      soft.leaderId !== this.#prevSoftState.leaderId ||
      !sameHardState(this.#hardState(), this.#prevHardState) ||
      log.pendingSnapshot() !== undefined ||
      log.unstableEntries().length > 0 ||
      core.msgs.length > 0 ||
      log.hasNextCommittedEntries()
    );
  }

  ready(): Ready {
    invariant(this.#outstanding === undefined, 'ready() called again before advance()');
    const core = this.#core;
    const log = core.log;
    const soft = this.#softState();
    const hard = this.#hardState();
    const hardChanged = !sameHardState(hard, this.#prevHardState);
    const entries: Entry[] = [...log.unstableEntries()];
    const snapshot = log.pendingSnapshot();
    const rd: Ready = {
      ...(soft.role !== this.#prevSoftState.role || soft.leaderId !== this.#prevSoftState.leaderId ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      ...(snapshot ? { snapshot } : {}),
      entries,
      messages: core.msgs,
      committedEntries: log.nextCommittedEntries(core.limits.maxCommittedEntriesPerReady),
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        hard.term !== this.#prevHardState.term ||
        hard.votedFor !== this.#prevHardState.votedFor,
    };
    core.msgs = [];
    this.#prevSoftState = soft;
    if (hardChanged) this.#prevHardState = hard;
    this.#outstanding = rd;
    return rd;
  }

  /** The driver has persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    invariant(this.#outstanding === rd, 'advance() must be given the Ready last returned by ready()');
    this.#outstanding = undefined;
    const log = this.#core.log;
    if (rd.snapshot) {
      log.stableSnapshotTo(rd.snapshot.meta.index);
      log.appliedTo(rd.snapshot.meta.index);
    }
    // Normally the last entry is still there; if a newer leader overwrote part
    // of what was written, what precedes the overwrite is stable all the same
    // (same index and term means same entry, by log matching).
    for (let i = rd.entries.length - 1; i >= 0; i -= 1) {
      const entry = rd.entries[i]!;
      if (log.stableTo(entry.index, entry.term)) break;
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) log.appliedTo(lastApplied.index);
  }

  status(): RaftStatus {
    const core = this.#core;
    const log = core.log;
    const role = core.role;
    return {
      id: core.id,
      role: role.kind,
      isObserver: !core.isVoter(),
      term: core.term,
      votedFor: core.votedFor,
      leaderId: core.leaderId,
      commit: log.committed,
      applied: log.applied,
      firstIndex: log.firstIndex(),
      lastIndex: log.lastIndex(),
      lastTerm: log.lastTerm(),
      ...(role instanceof LeaderRole ? { progress: role.progress() } : {}),
      leadTransferee: role instanceof LeaderRole ? role.transferee : NO_NODE,
    };
  }

  /** Votes collected in the current (pre-)election, for tests; empty when not campaigning. */
  votes(): ReadonlyMap<NodeId, boolean> {
    const role = this.#core.role;
    return role instanceof CandidateRole ? role.votes() : new Map();
  }

  /** Entries in [lo, hi) as this node currently sees its log (persisted plus unstable), for tests and the driver. */
  entries(lo: number, hi: number): Entry[] {
    const log = this.#core.log;
    const from = Math.max(lo, log.firstIndex());
    const to = Math.min(hi, log.lastIndex() + 1);
    return from < to ? log.slice(from, to, to - from) : [];
  }

  #softState(): SoftState {
    return { role: this.#core.role.kind, leaderId: this.#core.leaderId };
  }

  #hardState(): HardState {
    return { term: this.#core.term, votedFor: this.#core.votedFor, commit: this.#core.log.committed };
  }
}
