/**
 * One member of a classic group: what it joined with (protocol type and its
 * protocols with their subscription metadata, timeouts, client identity),
 * the assignment the leader gave it, and its soft state: a parked JoinGroup
 * or SyncGroup waiting for the rebalance to move on, and its heartbeat
 * deadline. Mirrors Kafka's ClassicGroupMember.
 */
import type { Input } from '../protocol/primitives/index.js';
import type { JoinGroupResponse, JoinGroupResponseMember } from '../protocol/generated/join-group-response.js';
import type { SyncGroupResponse } from '../protocol/generated/sync-group-response.js';
import type { MemberMetadata } from '../protocol/generated/group-coordinator/group-metadata-value.js';
import type { DescribedGroupMember } from '../protocol/generated/describe-groups-response.js';

export type JoinResponse = Input<JoinGroupResponse>;
export type SyncResponse = Input<SyncGroupResponse>;
export type JoinReply = (response: JoinResponse) => void;
export type SyncReply = (response: SyncResponse) => void;

export interface Protocol {
  readonly name: string;
  readonly metadata: Buffer;
}

export const EMPTY_BYTES = Buffer.alloc(0);

export interface MemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: readonly Protocol[];
  assignment?: Buffer;
}

export class ClassicMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly protocolType: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocols: readonly Protocol[];
  assignment: Buffer;
  /** The parked JoinGroup of this member, answered when the join phase completes. */
  awaitingJoin: JoinReply | null = null;
  /** The parked SyncGroup of this member, answered when the leader's assignment is stored. */
  awaitingSync: SyncReply | null = null;
  /** Joined during the current rebalance and not yet answered (KIP-394 join timeout applies). */
  isNew = false;
  /** When the member is removed unless it heartbeats (Infinity: no deadline). */
  heartbeatDeadline = Infinity;

  constructor(init: MemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.protocolType = init.protocolType;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocols = init.protocols;
    this.assignment = init.assignment ?? EMPTY_BYTES;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  /** Same protocols, in the same order, with the same metadata. */
  matches(protocols: readonly Protocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i].name && p.metadata.equals(this.protocols[i].metadata));
  }

  /** The subscription metadata this member sent for a protocol. */
  metadata(protocolName: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocolName);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocolName}`);
    return p.metadata;
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }

  /**
   * Whether a lapsed heartbeat deadline is excused: members parked in a
   * JoinGroup or SyncGroup cannot heartbeat, except new members, whose join
   * is bounded by the new-member join timeout.
   */
  hasSatisfiedHeartbeat(): boolean {
    if (this.isNew) return false;
    return this.awaitingJoin !== null || this.awaitingSync !== null;
  }

  asJoinResponseMember(protocolName: string | null): Input<JoinGroupResponseMember> {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      metadata: protocolName === null ? EMPTY_BYTES : this.metadata(protocolName),
    };
  }

  describe(protocolName: string | null): Input<DescribedGroupMember> {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      memberMetadata: protocolName === null ? EMPTY_BYTES : this.metadata(protocolName),
      memberAssignment: protocolName === null ? EMPTY_BYTES : this.assignment,
    };
  }

  asRecord(protocolName: string, assignment: Buffer): MemberMetadata {
    return {
      memberId: this.memberId,
      groupInstanceId: this.groupInstanceId,
      clientId: this.clientId,
      clientHost: this.clientHost,
      rebalanceTimeout: this.rebalanceTimeoutMs,
      sessionTimeout: this.sessionTimeoutMs,
      subscription: this.metadata(protocolName),
      assignment,
    };
  }
}
