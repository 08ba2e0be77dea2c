/**
 * Leader: replicates its log to every follower and observer, advances the
 * commit index, sends heartbeats, and steps down when it loses the quorum.
 *
 * Invariants:
 * - The leader never truncates its own log during its term; it only appends.
 * - The commit index advances only to an index held by a majority of voters
 *   whose entry is from the current term (Raft §5.4.2): older entries are
 *   committed indirectly, by the current term's first entry, which is the
 *   empty marker appended on election.
 * - The leader counts its own copy of an entry as soon as it is appended.
 *   That is safe because a follower only acknowledges entries it received
 *   in a message, and messages leave a Ready only after the Ready's entries
 *   are durable, so by the time a majority has acknowledged, the leader's
 *   copy is on disk too (Raft thesis §10.2.1).
 * - check-quorum: every election timeout, if fewer than a majority of voters
 *   were heard from since the last check, step down to follower.
 * - Leadership transfer: stop taking proposals, bring the target up to date,
 *   then send it TimeoutNow; give up after an election timeout.
 */
import type { Role, RaftCore } from '../core.js';
import type { AppendResponse, HeartbeatResponse, Message, SnapshotResponse } from '../messages.js';
import { Progress, type PeerStatus } from '../progress.js';
import { committedIndex, hasQuorum } from '../quorum.js';
import { invariant, NO_NODE, type Entry, type NodeId, type ProposeResult } from '../types.js';

const EMPTY = new Uint8Array(0);

export class LeaderRole implements Role {
  readonly kind = 'leader' as const;
  readonly #core: RaftCore;
  readonly #progress = new Map<NodeId, Progress>();
  #heartbeatElapsed = 0;
  #checkQuorumElapsed = 0;
  #transferee: NodeId = NO_NODE;

  constructor(core: RaftCore) {
    this.#core = core;
    const next = core.log.lastIndex() + 1;
    for (const peer of core.peers()) {
      this.#progress.set(peer, new Progress(next, core.limits.maxInflightAppends));
    }
  }

  /** Append the term's first (empty) entry and announce ourselves. */
  start(): void {
    this.#appendEntries([EMPTY]);
    this.#broadcastAppend();
  }

  get transferee(): NodeId {
    return this.#transferee;
  }

  /** A copy of each peer's replication progress, for status and tests. */
  progress(): ReadonlyMap<NodeId, PeerStatus> {
    const out = new Map<NodeId, PeerStatus>();
    for (const [id, pr] of this.#progress) {
      out.set(id, { match: pr.match, next: pr.next, state: pr.state, recentActive: pr.recentActive });
    }
    return out;
  }

  propose(data: readonly Uint8Array[]): ProposeResult {
    const core = this.#core;
    if (this.#transferee !== NO_NODE) return { ok: false, error: 'LEADER_TRANSFER_IN_PROGRESS', leaderId: core.id };
    const firstIndex = core.log.lastIndex() + 1;
    const uncommitted = core.log.lastIndex() - core.log.committed;
    // Refuse when over the limit, but always let one batch through when nothing is pending.
    if (uncommitted > 0 && uncommitted + data.length > core.limits.maxUncommittedEntries) {
      return { ok: false, error: 'PROPOSAL_DROPPED', leaderId: core.id };
    }
    this.#appendEntries(data);
    this.#broadcastAppend();
    return { ok: true, firstIndex, lastIndex: core.log.lastIndex(), term: core.term };
  }

  #appendEntries(data: readonly Uint8Array[]): void {
    const core = this.#core;
    const log = core.log;
    const base = log.lastIndex() + 1;
    const entries: Entry[] = data.map((d, i) => ({ index: base + i, term: core.term, data: d }));
    log.append(entries);
    this.#maybeCommit();
  }

  transferLeadership(to: NodeId): void {
    const core = this.#core;
    invariant(core.isVoter(to) && to !== core.id, () => `cannot transfer leadership to ${to}`);
    if (this.#transferee === to) return;
    this.#transferee = to;
    // Bound the transfer by one election timeout (checked in tick).
    core.electionElapsed = 0;
    const pr = this.#progress.get(to)!;
    if (pr.match === core.log.lastIndex()) {
      this.#sendTimeoutNow(to);
    } else {
      pr.probeSent = false; // re-probe now rather than at the next heartbeat
      this.#sendAppend(to, true);
    }
  }

  tick(): void {
    const core = this.#core;
    this.#heartbeatElapsed += 1;
    core.electionElapsed += 1;
    for (const pr of this.#progress.values()) {
      if (pr.state !== 'snapshot') continue;
      pr.snapshotElapsed += 1;
      if (pr.snapshotElapsed >= core.limits.electionTicks) pr.becomeProbe(); // lost snapshot: retry
    }
    // With its own check-quorum period, the quorum check has a separate clock;
    // otherwise it shares the election timeout's (etcd's behaviour).
    const ownPeriod = core.limits.checkQuorumTicks !== core.limits.electionTicks;
    if (ownPeriod) {
      this.#checkQuorumElapsed += 1;
      if (this.#checkQuorumElapsed >= core.limits.checkQuorumTicks) {
        this.#checkQuorumElapsed = 0;
        if (core.limits.checkQuorum && !this.#quorumActive()) {
          core.becomeFollower(core.term, NO_NODE);
          return;
        }
      }
    }
    if (core.electionElapsed >= core.limits.electionTicks) {
      core.electionElapsed = 0;
      if (!ownPeriod && core.limits.checkQuorum && !this.#quorumActive()) {
        core.becomeFollower(core.term, NO_NODE);
        return;
      }
      this.#transferee = NO_NODE;
    }
    if (this.#heartbeatElapsed >= core.limits.heartbeatTicks) {
      this.#heartbeatElapsed = 0;
      this.#broadcastHeartbeat();
    }
  }

  #quorumActive(): boolean {
    const active = new Set<NodeId>([this.#core.id]);
    for (const [id, pr] of this.#progress) {
      if (pr.recentActive) active.add(id);
      pr.recentActive = false;
    }
    return hasQuorum(active, this.#core.voters);
  }

  step(m: Message): void {
    const core = this.#core;
    switch (m.type) {
      case 'append-response':
        this.#onAppendResponse(m);
        return;
      case 'heartbeat-response':
        this.#onHeartbeatResponse(m);
        return;
      case 'snapshot-response':
        this.#onSnapshotResponse(m);
        return;
      case 'append-request':
      case 'heartbeat-request':
      case 'snapshot-request':
      case 'timeout-now':
        invariant(false, () => `leader ${core.id} of term ${core.term} got ${m.type} from ${m.from} in the same term`);
        return;
      default:
        return;
    }
  }

  #onAppendResponse(m: AppendResponse): void {
    const pr = this.#progress.get(m.from)!;
    pr.recentActive = true;
    pr.reportedLastIndex = m.lastIndex;
    if (!m.success) {
      if (pr.maybeDecrTo(m.rejectedIndex, this.#hintNext(m))) this.#sendAppend(m.from, true);
      return;
    }
    this.#onAck(m.from, pr, m.matchIndex);
  }

  /** Where to retry after a rejection, from the follower's conflict hint. */
  #hintNext(m: AppendResponse): number {
    if (m.conflictTerm > 0) {
      const last = this.#core.log.lastIndexOfTerm(m.conflictTerm, m.rejectedIndex);
      if (last > 0) return last + 1;
    }
    return Math.max(1, m.conflictIndex);
  }

  #onAck(from: NodeId, pr: Progress, matchIndex: number): void {
    const core = this.#core;
    invariant(matchIndex <= core.log.lastIndex(), () => `${from} acknowledged ${matchIndex} beyond leader's last index ${core.log.lastIndex()}`);
    const updated = pr.maybeUpdate(matchIndex);
    if (pr.state === 'snapshot') {
      if (pr.match < pr.pendingSnapshot) return;
      pr.becomeReplicate();
    } else if (!updated) {
      return;
    } else if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else {
      pr.freeInflightsTo(pr.match);
    }
    if (this.#maybeCommit()) this.#broadcastAppend();
    while (this.#sendAppend(from, false)) {
      // fill the pipeline up to the in-flight limit
    }
    // Tell a follower that caught up about the commit index without waiting for a heartbeat.
    if (pr.sentCommit < Math.min(core.log.committed, pr.match)) this.#sendAppend(from, true);
    if (from === this.#transferee && pr.match === core.log.lastIndex()) this.#sendTimeoutNow(from);
  }

  #onHeartbeatResponse(m: HeartbeatResponse): void {
    const pr = this.#progress.get(m.from)!;
    pr.recentActive = true;
    pr.probeSent = false;
    if (pr.state === 'replicate' && pr.isPaused()) pr.freeFirstInflight();
    if (pr.match < this.#core.log.lastIndex()) this.#sendAppend(m.from, true);
  }

  #onSnapshotResponse(m: SnapshotResponse): void {
    const pr = this.#progress.get(m.from)!;
    pr.recentActive = true;
    this.#onAck(m.from, pr, m.matchIndex);
  }

  #maybeCommit(): boolean {
    const core = this.#core;
    const matches = new Map<NodeId, number>([[core.id, core.log.lastIndex()]]);
    for (const [id, pr] of this.#progress) matches.set(id, pr.match);
    const index = committedIndex(matches, core.voters);
    if (index <= core.log.committed || core.log.term(index) !== core.term) return false;
    return core.log.commitTo(index);
  }

  /** Send new entries to everyone, and an empty append to whoever has not yet been told the commit index. */
  #broadcastAppend(): void {
    const committed = this.#core.log.committed;
    for (const [peer, pr] of this.#progress) this.#sendAppend(peer, pr.sentCommit < committed);
  }

  #broadcastHeartbeat(): void {
    const core = this.#core;
    for (const [peer, pr] of this.#progress) {
      const commit = Math.min(pr.match, core.log.committed);
      pr.sentCommit = Math.max(pr.sentCommit, commit);
      core.send({ type: 'heartbeat-request', from: core.id, to: peer, term: core.term, commit });
    }
  }

  /** Send the next append to `to` if its progress allows; returns whether anything was sent. */
  #sendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const core = this.#core;
    const log = core.log;
    const pr = this.#progress.get(to)!;
    if (pr.isPaused()) return false;
    const prevLogIndex = pr.next - 1;
    const prevLogTerm = log.term(prevLogIndex);
    if (prevLogTerm === undefined) return this.#sendSnapshot(to, pr);
    const entries = log.slice(pr.next, log.lastIndex() + 1, core.limits.maxEntriesPerAppend);
    if (entries.length === 0 && !sendIfEmpty) return false;
    core.send({ type: 'append-request', from: core.id, to, term: core.term, prevLogIndex, prevLogTerm, entries, commit: log.committed });
    pr.sentAppend(entries.length > 0 ? entries[entries.length - 1]!.index : undefined);
    pr.sentCommit = Math.max(pr.sentCommit, log.committed);
    return true;
  }

  #sendSnapshot(to: NodeId, pr: Progress): boolean {
    const core = this.#core;
    const snapshot = core.log.snapshot();
    invariant(snapshot.meta.index > pr.next - 1, () => `no snapshot covers index ${pr.next - 1} for ${to}`);
    core.send({ type: 'snapshot-request', from: core.id, to, term: core.term, snapshot });
    pr.becomeSnapshot(snapshot.meta.index);
    return true;
  }

  #sendTimeoutNow(to: NodeId): void {
    const core = this.#core;
    core.send({ type: 'timeout-now', from: core.id, to, term: core.term });
  }
}
