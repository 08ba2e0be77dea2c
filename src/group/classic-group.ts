/**
 * A classic (pre-KIP-848) consumer group: members, generation, selected
 * protocol, leader and the rebalance state, mirroring Kafka's ClassicGroup.
 *
 * States and the transitions allowed between them:
 *
 *   Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
 *     ▲                 ▲      │                                   │ leader's assignment
 *     └──no members─────┘      │                                   ▼ stored
 *                              └◀──member joins, leaves, dies──── Stable
 *   any ──group deleted / coordinator unloaded──▶ Dead
 *
 * Invariants: every member supports the group's protocol type; a protocol
 * is a candidate only when all members support it; the leader (when set) is
 * a member; a static member's instance id maps to exactly one member id.
 * This class holds state and answers questions about it; the rebalance
 * logic that drives it lives in classic-rebalance.ts.
 */
import type { Input } from '../protocol/primitives/index.js';
import type { JoinGroupResponseMember } from '../protocol/generated/join-group-response.js';
import type { GroupMetadataValue } from '../protocol/generated/group-coordinator/group-metadata-value.js';
import { Reader } from '../protocol/primitives/index.js';
import { decodeConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.js';
import { ErrorCode, type ErrorName } from '../api/error-codes.js';
import { ClassicMember, EMPTY_BYTES, type JoinResponse, type Protocol, type SyncResponse } from './classic-member.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ['PreparingRebalance'],
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
};

/** The pending end of the join phase: the initial delay of a new group, or the rebalance timeout. */
export type JoinTimer =
  | { readonly kind: 'initial'; readonly deadline: number; readonly delayMs: number; readonly remainingMs: number }
  | { readonly kind: 'rebalance'; readonly deadline: number };

export class ClassicGroup {
  state: GroupState = 'Empty';
  previousState: GroupState = 'Dead';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group last changed state (ms), null if unknown. */
  stateTimestamp: number | null = null;
  /** Members in join order (a Map keeps insertion order; the first becomes leader). */
  readonly members = new Map<string, ClassicMember>();
  /** group.instance.id → member id. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with their expiry. */
  readonly pendingJoin = new Map<string, number>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  /** Set when a member joins during the initial delay, which then extends. */
  newMemberAdded = false;
  joinTimer: JoinTimer | null = null;
  /** Members of this generation that have not synced by the deadline are removed. */
  syncTimer: { readonly deadline: number; readonly generationId: number } | null = null;
  /** Topics the members subscribe to (consumer protocol), null when unknown. */
  subscribedTopics: ReadonlySet<string> | null = null;
  private readonly protocolCounts = new Map<string, number>();

  constructor(readonly groupId: string) {}

  /** Rebuilds a group from its last GroupMetadata record (coordinator load). */
  static fromRecord(groupId: string, value: GroupMetadataValue, now: number): ClassicGroup {
    const g = new ClassicGroup(groupId);
    g.generationId = value.generation;
    g.protocolType = value.protocolType === '' ? null : value.protocolType;
    g.protocolName = value.protocol === '' ? null : value.protocol;
    g.stateTimestamp = value.currentStateTimestamp >= 0n ? Number(value.currentStateTimestamp) : null;
    for (const m of value.members) {
      const member = new ClassicMember({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
        sessionTimeoutMs: m.sessionTimeout,
        protocolType: value.protocolType,
        protocols: [{ name: value.protocol ?? '', metadata: Buffer.from(m.subscription) }],
        assignment: Buffer.from(m.assignment),
      });
      g.add(member, null);
    }
    g.leaderId = value.leader !== null && g.members.has(value.leader) ? value.leader : (g.members.keys().next().value ?? null);
    g.state = g.members.size > 0 ? 'Stable' : 'Empty';
    g.stateTimestamp ??= now;
    g.subscribedTopics = g.computeSubscribedTopics();
    return g;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupState, now: number): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition from ${this.state} to ${state}`);
    }
    this.previousState = this.state;
    this.state = state;
    this.stateTimestamp = now;
  }

  /** Stable, CompletingRebalance and Empty groups may start a rebalance. */
  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  usesConsumerProtocol(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE;
  }

  add(member: ClassicMember, reply: ((r: JoinResponse) => void) | null): void {
    if (member.groupInstanceId !== null) {
      if (this.staticMembers.has(member.groupInstanceId)) throw new Error(`static member ${member.groupInstanceId} is already in group ${this.groupId}`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.protocolType !== member.protocolType) throw new Error('a member must use the group\'s protocol type');
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = reply;
    this.pendingJoin.delete(member.memberId);
  }

  remove(memberId: string): void {
    const m = this.members.get(memberId);
    if (m) {
      this.members.delete(memberId);
      this.countProtocols(m, -1);
      if (m.groupInstanceId !== null) this.staticMembers.delete(m.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingJoin.delete(memberId);
    this.pendingSync.delete(memberId);
  }

  updateMember(member: ClassicMember, protocols: readonly Protocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, reply: ((r: JoinResponse) => void) | null): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    // A JoinGroup parked by an earlier connection of this member is answered, not dropped.
    const previous = member.awaitingJoin;
    member.awaitingJoin = reply;
    if (previous && reply && previous !== reply) previous({ memberId: member.memberId, errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
  }

  /** Gives a static member a new member id, fencing whatever the old id still has parked. */
  replaceStaticMember(instanceId: string, oldMemberId: string, newMemberId: string): ClassicMember {
    const old = this.members.get(oldMemberId);
    if (!old) throw new Error(`cannot replace unknown member ${oldMemberId}`);
    this.members.delete(oldMemberId);
    this.completeJoin(old, { memberId: oldMemberId, errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, leader: '', members: [] });
    this.completeSync(old, { errorCode: ErrorCode.FENCED_INSTANCE_ID, protocolType: null, protocolName: null, assignment: EMPTY_BYTES });
    const replacement = new ClassicMember({ ...old, memberId: newMemberId, assignment: old.assignment });
    this.members.set(newMemberId, replacement);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(instanceId, newMemberId);
    this.pendingSync.delete(oldMemberId);
    return replacement;
  }

  /** Answers a parked JoinGroup; false when none was parked. */
  completeJoin(member: ClassicMember, response: JoinResponse): boolean {
    const reply = member.awaitingJoin;
    if (!reply) return false;
    member.awaitingJoin = null;
    reply(response);
    return true;
  }

  completeSync(member: ClassicMember, response: SyncResponse): boolean {
    const reply = member.awaitingSync;
    if (!reply) return false;
    member.awaitingSync = null;
    reply(response);
    return true;
  }

  /** UNKNOWN_MEMBER_ID or FENCED_INSTANCE_ID when the caller is not this member, else null. */
  validateMember(memberId: string, groupInstanceId: string | null): ErrorName | null {
    if (groupInstanceId !== null) {
      const existing = this.staticMembers.get(groupInstanceId);
      if (existing === undefined) return 'UNKNOWN_MEMBER_ID';
      if (existing !== memberId) return 'FENCED_INSTANCE_ID';
    }
    return this.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  numAwaitingJoin(): number {
    let n = 0;
    for (const m of this.members.values()) if (m.awaitingJoin) n++;
    return n;
  }

  hasAllMembersJoined(): boolean {
    return this.numAwaitingJoin() === this.members.size && this.pendingJoin.size === 0;
  }

  notYetRejoined(): ClassicMember[] {
    return [...this.members.values()].filter((m) => !m.awaitingJoin);
  }

  /** The largest rebalance timeout of the members: how long a join phase may last. */
  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /**
   * Keeps the leader if it rejoined, else promotes a member that did.
   * False when there is no leader or nobody rejoined.
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    const leader = this.members.get(this.leaderId);
    if (leader?.awaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.awaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /** Whether a member with this protocol type and these protocols could join now. */
  supportsProtocols(protocolType: string, names: readonly string[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && names.length > 0;
    return this.protocolType === protocolType && names.some((n) => (this.protocolCounts.get(n) ?? 0) === this.members.size);
  }

  candidateProtocols(): Set<string> {
    const out = new Set<string>();
    for (const [name, count] of this.protocolCounts) if (count === this.members.size) out.add(name);
    return out;
  }

  /** Each member votes for its most preferred candidate; the most votes win (first to reach the top on ties). */
  selectProtocol(): string {
    if (this.members.size === 0) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best = '';
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    return best;
  }

  /** Starts the next generation: CompletingRebalance with a selected protocol, or Empty. */
  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('CompletingRebalance', now);
    } else {
      this.protocolName = null;
      this.subscribedTopics = this.computeSubscribedTopics();
      this.transitionTo('Empty', now);
    }
    this.pendingSync.clear();
  }

  currentMembersForJoin(): Input<JoinGroupResponseMember>[] {
    return [...this.members.values()].map((m) => m.asJoinResponseMember(this.protocolName));
  }

  /** The GroupMetadata record value of this group with the given assignments. */
  toRecord(assignments: ReadonlyMap<string, Buffer>): GroupMetadataValue {
    const protocol = this.protocolName;
    if (this.members.size > 0 && protocol === null) throw new Error(`group ${this.groupId} has members but no protocol`);
    return {
      protocolType: this.protocolType ?? '',
      generation: this.generationId,
      protocol,
      leader: this.leaderId,
      currentStateTimestamp: BigInt(this.stateTimestamp ?? -1),
      members: [...this.members.values()].map((m) => m.asRecord(protocol ?? '', assignments.get(m.memberId) ?? EMPTY_BYTES)),
    };
  }

  currentAssignments(): Map<string, Buffer> {
    return new Map([...this.members.values()].map((m) => [m.memberId, m.assignment]));
  }

  /**
   * The union of the members' subscribed topics for the consumer protocol
   * (parsed with the v0 prefix every subscription version shares); null
   * when the protocol is not "consumer" or a subscription does not parse.
   */
  computeSubscribedTopics(): ReadonlySet<string> | null {
    if (this.protocolType !== CONSUMER_PROTOCOL_TYPE) return null;
    if (this.members.size === 0) return new Set();
    if (this.protocolName === null) return null;
    const topics = new Set<string>();
    try {
      for (const m of this.members.values()) {
        const r = new Reader(m.metadata(this.protocolName));
        r.int16();
        for (const t of decodeConsumerProtocolSubscription(r, 0).topics) topics.add(t);
      }
    } catch {
      return null;
    }
    return topics;
  }

  /** Whether deleting this topic's offsets would pull them from under active members. */
  isSubscribedToTopic(topic: string): boolean {
    if (this.subscribedTopics !== null) return this.subscribedTopics.has(topic);
    return this.usesConsumerProtocol();
  }

  private countProtocols(member: ClassicMember, delta: number): void {
    for (const p of member.protocols) this.protocolCounts.set(p.name, (this.protocolCounts.get(p.name) ?? 0) + delta);
  }
}
