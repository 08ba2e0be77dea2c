/**
 * Follower: follows the leader of the current term (or waits for one) and
 * campaigns when no leader is heard from within its randomized election
 * timeout. Observers are followers that never campaign.
 *
 * AppendEntries consistency check: accept the entries only if our log holds
 * prevLogIndex with prevLogTerm; then truncate at the first conflicting entry
 * (never at or below our commit index), append the rest, and commit up to
 * min(leader commit, last new index). On rejection, return a fast back-off
 * hint: our term at prevLogIndex and the first index of that term (or our
 * last index + 1 when our log is too short), so the leader can skip a whole
 * term per round trip instead of one entry.
 */
import type { Role, RaftCore } from '../core.js';
import type { AppendRequest, HeartbeatRequest, Message, SnapshotRequest } from '../messages.js';
import { invariant } from '../types.js';

export class FollowerRole implements Role {
  readonly kind = 'follower' as const;
  readonly #core: RaftCore;

  constructor(core: RaftCore) {
    this.#core = core;
  }

  tick(): void {
    this.#core.tickElection();
  }

  step(m: Message): void {
    const core = this.#core;
    switch (m.type) {
      case 'append-request':
        core.acknowledgeLeader(m.from);
        handleAppend(core, m);
        return;
      case 'heartbeat-request':
        core.acknowledgeLeader(m.from);
        handleHeartbeat(core, m);
        return;
      case 'snapshot-request':
        core.acknowledgeLeader(m.from);
        handleSnapshot(core, m);
        return;
      case 'timeout-now':
        core.acknowledgeLeader(m.from);
        core.campaign('transfer');
        return;
      default:
        // Responses addressed to an earlier role of ours: stale, ignore.
        return;
    }
  }
}

function handleAppend(core: RaftCore, m: AppendRequest): void {
  const log = core.log;
  let prevIndex = m.prevLogIndex;
  let prevTerm = m.prevLogTerm;
  let entries = m.entries;
  if (prevIndex < log.committed) {
    // Everything through our commit index already matches the leader; skip
    // to it (its term is known even when it is the snapshot index).
    const skip = log.committed - prevIndex;
    if (entries.length <= skip) {
      replyAppend(core, m, true, log.committed);
      return;
    }
    const lastSkipped = entries[skip - 1]!;
    invariant(log.matchTerm(lastSkipped.index, lastSkipped.term), () => `leader ${m.from} disagrees with committed entry ${lastSkipped.index}`);
    prevIndex = lastSkipped.index;
    prevTerm = lastSkipped.term;
    entries = entries.slice(skip);
  }
  const lastNew = log.maybeAppend(prevIndex, prevTerm, m.commit, entries);
  if (lastNew !== undefined) {
    replyAppend(core, m, true, lastNew);
  } else {
    replyAppend(core, m, false, 0);
  }
}

function replyAppend(core: RaftCore, m: AppendRequest, success: boolean, matchIndex: number): void {
  const log = core.log;
  let conflictTerm = 0;
  let conflictIndex = 0;
  if (!success) {
    const term = log.term(m.prevLogIndex);
    if (term === undefined) {
      conflictIndex = log.lastIndex() + 1;
    } else {
      conflictTerm = term;
      conflictIndex = log.firstIndexOfTermAt(m.prevLogIndex, term);
    }
  }
  core.send({
    type: 'append-response',
    from: core.id,
    to: m.from,
    term: core.term,
    success,
    matchIndex,
    rejectedIndex: success ? 0 : m.prevLogIndex,
    conflictTerm,
    conflictIndex,
    lastIndex: log.lastIndex(),
  });
}

function handleHeartbeat(core: RaftCore, m: HeartbeatRequest): void {
  // The leader sends min(its commit, what it knows we hold), so this never
  // points past our log.
  core.log.commitTo(m.commit);
  core.send({ type: 'heartbeat-response', from: core.id, to: m.from, term: core.term });
}

function handleSnapshot(core: RaftCore, m: SnapshotRequest): void {
  const log = core.log;
  const meta = m.snapshot.meta;
  let matchIndex: number;
  if (meta.index <= log.committed) {
    matchIndex = log.committed;
  } else if (log.matchTerm(meta.index, meta.term)) {
    // We already hold the snapshot's last entry: just commit through it.
    log.commitTo(meta.index);
    matchIndex = meta.index;
  } else {
    log.restore(m.snapshot);
    matchIndex = meta.index;
  }
  core.send({ type: 'snapshot-response', from: core.id, to: m.from, term: core.term, matchIndex });
}
