/**
 * Pre-candidate and candidate: collect votes for one election.
 *
 * A pre-candidate asks "would you vote for me at term + 1?" without changing
 * its own term, so a node cut off from the quorum keeps failing pre-votes
 * instead of inflating its term and deposing the leader when it returns
 * (Raft thesis §9.6; KRaft's PreVote, KIP-996). Winning the pre-vote starts
 * the real election. Either kind falls back to follower on losing, or on
 * hearing from a leader of the current term, and retries when the
 * randomized election timeout passes again.
 */
import type { Role, RaftCore } from '../core.js';
import type { Message, VoteResponse } from '../messages.js';
import { voteResult, type VoteOutcome } from '../quorum.js';
import type { NodeId } from '../types.js';

export class CandidateRole implements Role {
  readonly kind: 'pre-candidate' | 'candidate';
  readonly #core: RaftCore;
  readonly #preVote: boolean;
  readonly #votes = new Map<NodeId, boolean>();

  constructor(core: RaftCore, preVote: boolean) {
    this.#core = core;
    this.#preVote = preVote;
    this.kind = preVote ? 'pre-candidate' : 'candidate';
  }

  /** Votes granted so far, for status reports and tests. */
  votes(): ReadonlyMap<NodeId, boolean> {
    return this.#votes;
  }

  recordVote(from: NodeId, granted: boolean): VoteOutcome {
    if (!this.#votes.has(from)) this.#votes.set(from, granted);
    return voteResult(this.#votes, this.#core.voters);
  }

  tick(): void {
    this.#core.tickElection();
  }

  step(m: Message): void {
    const core = this.#core;
    switch (m.type) {
      case 'append-request':
      case 'heartbeat-request':
      case 'snapshot-request':
        // A leader exists for our (current) term: follow it.
        core.becomeFollower(core.term, m.from);
        core.role.step(m);
        return;
      case 'vote-response':
        this.#onVote(m);
        return;
      default:
        return;
    }
  }

  #onVote(m: VoteResponse): void {
    if (m.preVote !== this.#preVote) return;
    const core = this.#core;
    // A granted pre-vote echoes the term we would enter; a rejection carries
    // the voter's term, which is ours (a higher one already made us follower).
    const expectedTerm = this.#preVote && m.granted ? core.term + 1 : core.term;
    if (m.term !== expectedTerm) return;
    const outcome = this.recordVote(m.from, m.granted);
    if (outcome !== 'pending') core.electionDecided(this.#preVote, outcome === 'won');
  }
}
