/**
 * State shared by every role of one Raft node, the role transitions, and the
 * rules that do not depend on the role: term handling and voting.
 *
 * A node is in exactly one role (`./roles/*.ts`): follower, pre-candidate,
 * candidate or leader. Observers (ids not in `voters`) are followers that
 * never campaign and never vote.
 *
 * Term rules applied to every incoming message before the role sees it:
 * - a higher term makes us a follower of that term (recording the sender as
 *   leader if it is a leader message) - except pre-votes and granted
 *   pre-vote responses, which speak of a term nobody has entered yet, and
 *   vote requests that arrive while we are in a leader's lease (we heard from
 *   a live leader within the minimum election timeout; check-quorum only),
 *   which we ignore so that a node rejoining from a partition cannot depose a
 *   healthy leader;
 * - a lower term is ignored, except that a stale leader's append or heartbeat
 *   is answered with our term (so it steps down) and a stale pre-vote is
 *   rejected with our term (so the pre-candidate catches up).
 *
 * Vote rules: grant when the candidate is a voter, its log is at least as up
 * to date as ours (last term, then last index), and either we already voted
 * for it this term, or we have not voted and know no leader this term, or it
 * is a pre-vote for a higher term. A real vote is recorded in hard state and
 * so persisted before the response leaves.
 */
import type { Random } from '../../platform/random.js';
import type { Message, VoteRequest } from './messages.js';
import { isLeaderMessage } from './messages.js';
import { RaftLog } from './raft-log.js';
import { invariant, NO_NODE, type NodeId, type RaftStorage, type RoleKind } from './types.js';
import { FollowerRole } from './roles/follower.js';
import { CandidateRole } from './roles/candidate.js';
import { LeaderRole } from './roles/leader.js';

export interface RaftConfig {
  readonly id: NodeId;
  /** The voting members (controller.quorum.voters). Must be non-empty. */
  readonly voters: readonly NodeId[];
  /** Non-voting members that follow the log (brokers). */
  readonly observers?: readonly NodeId[];
  /** Minimum election timeout in ticks; each wait is drawn from [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  /** Leader heartbeat interval in ticks; must be less than electionTicks. */
  readonly heartbeatTicks: number;
  /**
   * How often a leader checks that a majority was heard from (check-quorum),
   * in ticks; defaults to electionTicks. A driver whose followers pull may
   * allow longer (KRaft: 1.5 × controller.quorum.fetch.timeout.ms).
   */
  readonly checkQuorumTicks?: number;
  readonly random: Random;
  /** The persisted state: hard state, snapshot and log. */
  readonly storage: RaftStorage;
  /** The index the state machine has already applied (e.g. restored from a snapshot); defaults to the snapshot index. */
  readonly applied?: number;
  /** Campaign with a pre-vote round first (default true). */
  readonly preVote?: boolean;
  /** Step down when a majority has not been heard from within an election timeout, and honour leader leases (default true). */
  readonly checkQuorum?: boolean;
  /** Most entries in one append message (default 256). */
  readonly maxEntriesPerAppend?: number;
  /** Most unacknowledged appends in flight to one follower (default 64). */
  readonly maxInflightAppends?: number;
  /** Most entries the leader holds uncommitted before refusing proposals (default 10,000). */
  readonly maxUncommittedEntries?: number;
  /** Most committed entries handed out in one Ready (default 1,024). */
  readonly maxCommittedEntriesPerReady?: number;
}

export interface ResolvedLimits {
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly checkQuorumTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxEntriesPerAppend: number;
  readonly maxInflightAppends: number;
  readonly maxUncommittedEntries: number;
  readonly maxCommittedEntriesPerReady: number;
}

/** One role's behaviour. A role object lives exactly as long as the node stays in that role and term. */
export interface Role {
  readonly kind: RoleKind;
  tick(): void;
  step(m: Message): void;
}

export type CampaignKind = 'pre-vote' | 'election' | 'transfer';

function positiveInt(name: string, value: number): number {
  invariant(Number.isSafeInteger(value) && value > 0, `${name} must be a positive integer, got ${value}`);
  return value;
}

function resolveLimits(config: RaftConfig): ResolvedLimits {
  const limits: ResolvedLimits = {
    electionTicks: positiveInt('electionTicks', config.electionTicks),
    heartbeatTicks: positiveInt('heartbeatTicks', config.heartbeatTicks),
    checkQuorumTicks: positiveInt('checkQuorumTicks', config.checkQuorumTicks ?? config.electionTicks),
    preVote: config.preVote ?? true,
    checkQuorum: config.checkQuorum ?? true,
    maxEntriesPerAppend: positiveInt('maxEntriesPerAppend', config.maxEntriesPerAppend ?? 256),
    maxInflightAppends: positiveInt('maxInflightAppends', config.maxInflightAppends ?? 64),
    maxUncommittedEntries: positiveInt('maxUncommittedEntries', config.maxUncommittedEntries ?? 10_000),
    maxCommittedEntriesPerReady: positiveInt('maxCommittedEntriesPerReady', config.maxCommittedEntriesPerReady ?? 1_024),
  };
  invariant(limits.heartbeatTicks < limits.electionTicks, 'heartbeatTicks must be less than electionTicks');
  return limits;
}

export class RaftCore {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  readonly limits: ResolvedLimits;
  readonly log: RaftLog;
  term: number;
  votedFor: NodeId;
  leaderId: NodeId = NO_NODE;
  electionElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Messages produced since the last Ready. */
  msgs: Message[] = [];
  role: Role;
  readonly #random: Random;
  readonly #members: ReadonlySet<NodeId>;

  constructor(config: RaftConfig) {
    this.limits = resolveLimits(config);
    invariant(Number.isSafeInteger(config.id) && config.id >= 0, `node id must be a non-negative integer, got ${config.id}`);
    this.id = config.id;
    this.voters = [...new Set(config.voters)];
    this.observers = [...new Set(config.observers ?? [])].filter((o) => !this.voters.includes(o));
    invariant(this.voters.length > 0, 'a Raft quorum needs at least one voter');
    for (const member of [...this.voters, ...this.observers]) {
      invariant(Number.isSafeInteger(member) && member >= 0, `member id must be a non-negative integer, got ${member}`);
    }
    this.#members = new Set([...this.voters, ...this.observers]);
    invariant(this.#members.has(this.id), `node ${this.id} is neither a voter nor an observer`);
    this.#random = config.random;

    const { hardState, snapshotMeta } = config.storage.initialState();
    invariant(snapshotMeta.index === config.storage.firstIndex() - 1, () => `storage snapshot ends at ${snapshotMeta.index} but its log starts at ${config.storage.firstIndex()}`);
    this.log = new RaftLog(config.storage, hardState.commit, config.applied ?? 0);
    // A crash can leave entries of a new term on disk without the hard state
    // that entered that term (the driver persists entries first). Entering it
    // now, with no vote, is safe: any vote cast there was never sent.
    if (this.log.lastTerm() > hardState.term) {
      this.term = this.log.lastTerm();
      this.votedFor = NO_NODE;
    } else {
      this.term = hardState.term;
      this.votedFor = hardState.votedFor;
    }
    this.role = new FollowerRole(this);
    this.resetElectionTimer();
  }

  isVoter(id: NodeId = this.id): boolean {
    return this.voters.includes(id);
  }

  isMember(id: NodeId): boolean {
    return this.#members.has(id);
  }

  /** Every other member, voters first. */
  peers(): NodeId[] {
    return [...this.voters, ...this.observers].filter((p) => p !== this.id);
  }

  send(m: Message): void {
    invariant(m.from === this.id && m.to !== this.id, () => `bad message envelope ${m.from}->${m.to}`);
    this.msgs.push(m);
  }

  resetElectionTimer(): void {
    this.electionElapsed = 0;
    const base = this.limits.electionTicks;
    this.randomizedElectionTimeout = base + this.#random.nextInt(base);
  }

  /** Heard from a live leader within the minimum election timeout (only meaningful with check-quorum). */
  inLeaderLease(): boolean {
    return this.limits.checkQuorum && this.leaderId !== NO_NODE && this.electionElapsed < this.limits.electionTicks;
  }

  /** Follower and candidate ticks: campaign when the randomized election timeout passes. */
  tickElection(): void {
    this.electionElapsed += 1;
    if (this.isVoter() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.resetElectionTimer(); // a fresh random wait for every attempt, so colliding nodes drift apart
      this.campaign(this.limits.preVote ? 'pre-vote' : 'election');
    }
  }

  tick(): void {
    this.role.tick();
  }

  step(m: Message): void {
    if (m.to !== this.id || !this.isMember(m.from) || m.from === this.id) return;
    if (m.term > this.term) {
      if (!this.#acceptHigherTerm(m)) return;
    } else if (m.term < this.term) {
      this.#answerLowerTerm(m);
      return;
    }
    if (m.type === 'vote-request') {
      this.#handleVoteRequest(m);
      return;
    }
    this.role.step(m);
  }

  /** Returns false when the message must be ignored. */
  #acceptHigherTerm(m: Message): boolean {
    if (m.type === 'vote-request') {
      if (!m.leadershipTransfer && this.inLeaderLease()) return false;
      if (m.preVote) return true;
      this.becomeFollower(m.term, NO_NODE);
      return true;
    }
    if (m.type === 'vote-response' && m.preVote && m.granted) return true;
    this.becomeFollower(m.term, isLeaderMessage(m) ? m.from : NO_NODE);
    return true;
  }

  #answerLowerTerm(m: Message): void {
    const stickyLeader = this.limits.checkQuorum || this.limits.preVote;
    if (stickyLeader && (m.type === 'append-request' || m.type === 'heartbeat-request')) {
      this.send({ type: 'heartbeat-response', from: this.id, to: m.from, term: this.term });
    } else if (m.type === 'vote-request' && m.preVote) {
      this.send({ type: 'vote-response', from: this.id, to: m.from, term: this.term, preVote: true, granted: false });
    }
  }

  #handleVoteRequest(m: VoteRequest): void {
    const canVote =
      this.votedFor === m.from ||
      (this.votedFor === NO_NODE && this.leaderId === NO_NODE) ||
      (m.preVote && m.term > this.term);
    const grant = this.isVoter() && this.isVoter(m.from) && canVote && this.log.isUpToDate(m.lastLogTerm, m.lastLogIndex);
    if (grant && !m.preVote) {
      this.votedFor = m.from;
      this.electionElapsed = 0;
    }
    const term = grant && m.preVote ? m.term : this.term;
    this.send({ type: 'vote-response', from: this.id, to: m.from, term, preVote: m.preVote, granted: grant });
  }

  campaign(kind: CampaignKind): void {
    if (!this.isVoter() || this.role.kind === 'leader') return;
    if (kind === 'pre-vote') this.becomePreCandidate();
    else this.becomeCandidate();
    const candidate = this.role;
    invariant(candidate instanceof CandidateRole, 'campaigning node is a (pre-)candidate');
    const voteTerm = kind === 'pre-vote' ? this.term + 1 : this.term;
    if (candidate.recordVote(this.id, true) === 'won') {
      this.#wonElection(kind);
      return;
    }
    for (const voter of this.voters) {
      if (voter === this.id) continue;
      this.send({
        type: 'vote-request',
        from: this.id,
        to: voter,
        term: voteTerm,
        preVote: kind === 'pre-vote',
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        leadershipTransfer: kind === 'transfer',
      });
    }
  }

  #wonElection(kind: CampaignKind): void {
    if (kind === 'pre-vote') this.campaign('election');
    else this.becomeLeader();
  }

  /** Called by a candidate role when its tally reaches a decision. */
  electionDecided(preVote: boolean, won: boolean): void {
    if (!won) {
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    this.#wonElection(preVote ? 'pre-vote' : 'election');
  }

  becomeFollower(term: number, leaderId: NodeId): void {
    invariant(term >= this.term, () => `term must not go backwards (${this.term} -> ${term})`);
    if (term !== this.term) {
      this.term = term;
      this.votedFor = NO_NODE;
    }
    this.leaderId = leaderId;
    this.resetElectionTimer();
    this.role = new FollowerRole(this);
  }

  becomePreCandidate(): void {
    invariant(this.role.kind !== 'leader', 'a leader does not pre-campaign');
    this.leaderId = NO_NODE;
    this.role = new CandidateRole(this, true);
  }

  becomeCandidate(): void {
    invariant(this.role.kind !== 'leader', 'a leader does not campaign');
    this.term += 1;
    this.votedFor = this.id;
    this.leaderId = NO_NODE;
    this.resetElectionTimer();
    this.role = new CandidateRole(this, false);
  }

  becomeLeader(): void {
    invariant(this.role.kind === 'candidate', () => `only a candidate becomes leader, not a ${this.role.kind}`);
    this.leaderId = this.id;
    this.resetElectionTimer();
    const leader = new LeaderRole(this);
    this.role = leader;
    leader.start();
  }

  /** Record that `leaderId` leads the current term, checking there is never a second one. */
  acknowledgeLeader(leaderId: NodeId): void {
    invariant(this.leaderId === NO_NODE || this.leaderId === leaderId, () => `two leaders in term ${this.term}: ${this.leaderId} and ${leaderId}`);
    this.leaderId = leaderId;
    this.electionElapsed = 0;
  }
}
