/**
 * Raft safety properties, checked by the simulator after every step and at
 * every apply. Each check is independent of the core's own assertions: it
 * looks only at what the nodes expose (status, log, persisted state, applied
 * state).
 *
 * - Election safety: at most one leader per term, ever.
 * - Leader completeness: a node that becomes leader holds every entry known
 *   to be committed (unless its snapshot covers it).
 * - Committed entries never change: every entry a node holds at or below
 *   its commit index equals the first committed entry ever seen at that
 *   index, and commit never passes the log end.
 * - Log matching: if two logs hold an entry with the same index and term,
 *   the logs are identical up to there.
 * - State machine safety: every node applies the same entry at each index
 *   and reaches the same digest there (also through snapshots); no entry is
 *   applied twice at different indexes.
 * - Votes: a node's persisted term never goes back, it never persists two
 *   different votes in one term, and (across restarts) it never sends two
 *   candidates a granted vote in one term.
 */
import type { RaftNode } from '../../src/controller/raft/node.js';
import type { MemoryRaftStorage } from '../../src/controller/raft/memory-storage.js';
import type { Message } from '../../src/controller/raft/messages.js';
import { NO_NODE, type Entry, type NodeId } from '../../src/controller/raft/types.js';
import { entryKey, type DigestState } from './state-machine.js';

export class SafetyViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetyViolation';
  }
}

export interface CheckedNode {
  readonly id: NodeId;
  readonly node: RaftNode | undefined;
  readonly storage: MemoryRaftStorage;
}

interface CommittedRecord {
  readonly term: number;
  readonly key: string;
}

function violation(message: string): never {
  throw new SafetyViolation(message);
}

export class InvariantChecker {
  readonly #leaders = new Map<number, NodeId>();
  readonly #committed = new Map<number, CommittedRecord>();
  readonly #digests = new Map<number, number>();
  readonly #appliedAt = new Map<string, number>();
  readonly #persisted = new Map<NodeId, { term: number; votedFor: NodeId }>();
  readonly #leaderTerm = new Map<NodeId, number>();
  readonly #votesGranted = new Map<string, NodeId>();
  #maxCommitted = 0;

  /** Leaders seen, by term (for statistics). */
  get leaderCount(): number {
    return this.#leaders.size;
  }

  get maxCommittedIndex(): number {
    return this.#maxCommitted;
  }

  /** The data (as text) known committed at `index`, if any node has shown it. */
  committedKey(index: number): string | undefined {
    return this.#committed.get(index)?.key;
  }

  #recordCommitted(nodeId: NodeId, entry: Entry, what: string): void {
    const key = entryKey(entry.data);
    const known = this.#committed.get(entry.index);
    if (!known) {
      this.#committed.set(entry.index, { term: entry.term, key });
      this.#maxCommitted = Math.max(this.#maxCommitted, entry.index);
    } else if (known.term !== entry.term || known.key !== key) {
      violation(`node ${nodeId} ${what} index ${entry.index} as (term ${entry.term}, '${key}') but (term ${known.term}, '${known.key}') was committed there`);
    }
  }

  /** Every message a node sends: a voter must never grant two candidates a (real) vote in one term. */
  onSend(m: Message): void {
    if (m.type !== 'vote-response' || m.preVote || !m.granted) return;
    const key = `${m.from}@${m.term}`;
    const earlier = this.#votesGranted.get(key);
    if (earlier !== undefined && earlier !== m.to) violation(`node ${m.from} granted its term-${m.term} vote to ${earlier} and to ${m.to}`);
    this.#votesGranted.set(key, m.to);
  }

  /** A node applied `entry`, reaching `state`. */
  onApplyEntry(nodeId: NodeId, entry: Entry, state: DigestState): void {
    this.#recordCommitted(nodeId, entry, 'applied');
    if (entry.data.length > 0) {
      const key = entryKey(entry.data);
      const at = this.#appliedAt.get(key);
      if (at !== undefined && at !== entry.index) violation(`entry '${key}' applied at index ${entry.index} and at ${at}`);
      this.#appliedAt.set(key, entry.index);
    }
    this.#checkDigest(nodeId, state, 'applying');
  }

  /** A node restored its state machine from a snapshot. */
  onRestore(nodeId: NodeId, state: DigestState): void {
    this.#checkDigest(nodeId, state, 'restoring a snapshot');
  }

  #checkDigest(nodeId: NodeId, state: DigestState, what: string): void {
    const known = this.#digests.get(state.index);
    if (known === undefined) this.#digests.set(state.index, state.digest);
    else if (known !== state.digest) violation(`node ${nodeId} reached digest ${state.digest} at index ${state.index} by ${what}; others reached ${known}`);
  }

  /** Run every per-step check over the running nodes. */
  checkStep(nodes: readonly CheckedNode[]): void {
    const logs = new Map<NodeId, { first: number; entries: Entry[] }>();
    for (const n of nodes) {
      this.#checkPersisted(n);
      if (!n.node) continue;
      const status = n.node.status();
      const entries = n.node.entries(status.firstIndex, status.lastIndex + 1);
      logs.set(n.id, { first: status.firstIndex, entries });
      if (status.commit > status.lastIndex) violation(`node ${n.id} commit ${status.commit} beyond its last index ${status.lastIndex}`);
      for (const entry of entries) {
        if (entry.index > status.commit) break;
        this.#recordCommitted(n.id, entry, 'holds committed');
      }
      if (status.role === 'leader') this.#checkLeader(n.id, status.term, status.firstIndex, logs.get(n.id)!.entries);
    }
    this.#checkLogMatching(logs);
  }

  #checkLeader(id: NodeId, term: number, firstIndex: number, entries: readonly Entry[]): void {
    const leader = this.#leaders.get(term);
    if (leader !== undefined && leader !== id) violation(`two leaders in term ${term}: ${leader} and ${id}`);
    this.#leaders.set(term, id);
    if (this.#leaderTerm.get(id) === term) return;
    this.#leaderTerm.set(id, term);
    // Newly elected: it must hold every committed entry past its snapshot.
    const last = firstIndex + entries.length - 1;
    if (last < this.#maxCommitted) violation(`leader ${id} of term ${term} ends at ${last}, before committed index ${this.#maxCommitted}`);
    for (const [index, record] of this.#committed) {
      if (index < firstIndex) continue;
      const entry = entries[index - firstIndex]!;
      if (entry.term !== record.term || entryKey(entry.data) !== record.key) {
        violation(`leader ${id} of term ${term} lacks committed entry ${index} (term ${record.term}); has term ${entry.term}`);
      }
    }
  }

  #checkLogMatching(logs: ReadonlyMap<NodeId, { first: number; entries: Entry[] }>): void {
    const all = [...logs.entries()];
    for (let a = 0; a < all.length; a += 1) {
      for (let b = a + 1; b < all.length; b += 1) {
        const [idA, logA] = all[a]!;
        const [idB, logB] = all[b]!;
        const lo = Math.max(logA.first, logB.first);
        const hi = Math.min(logA.first + logA.entries.length, logB.first + logB.entries.length) - 1;
        let i = hi;
        while (i >= lo && logA.entries[i - logA.first]!.term !== logB.entries[i - logB.first]!.term) i -= 1;
        for (; i >= lo; i -= 1) {
          const ea = logA.entries[i - logA.first]!;
          const eb = logB.entries[i - logB.first]!;
          if (ea.term !== eb.term || (ea.data !== eb.data && entryKey(ea.data) !== entryKey(eb.data))) {
            violation(`log matching: nodes ${idA} and ${idB} agree on a later entry but differ at index ${i}`);
          }
        }
      }
    }
  }

  #checkPersisted(n: CheckedNode): void {
    const hs = n.storage.hardState();
    const previous = this.#persisted.get(n.id);
    if (previous) {
      if (hs.term < previous.term) violation(`node ${n.id} persisted term went back from ${previous.term} to ${hs.term}`);
      if (hs.term === previous.term && previous.votedFor !== NO_NODE && hs.votedFor !== previous.votedFor) {
        violation(`node ${n.id} persisted two votes in term ${hs.term}: ${previous.votedFor} then ${hs.votedFor}`);
      }
    }
    this.#persisted.set(n.id, { term: hs.term, votedFor: hs.votedFor });
  }
}
