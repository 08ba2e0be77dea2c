/**
 * JoinGroup for classic groups, as Kafka's GroupMetadataManager decides it.
 *
 * A member without a member id is new:
 * - static (group.instance.id set, v5+): if the instance id is known, the
 *   old member id is replaced (anything it still has parked is answered
 *   FENCED_INSTANCE_ID). In a Stable group whose selected protocol would
 *   not change, the new id is written and the member gets the current
 *   generation back without a rebalance (KIP-345); with v9 a static leader
 *   gets skipAssignment (KIP-814). Otherwise the group rebalances.
 * - dynamic with v4+: the coordinator hands out a member id with
 *   MEMBER_ID_REQUIRED and waits (session timeout) for the member to join
 *   with it (KIP-394).
 * - otherwise the member is added and the group rebalances.
 * A known member rejoining during PreparingRebalance is parked until the
 * join phase ends; in CompletingRebalance or Stable it gets the current
 * generation back unless its protocols changed or it is the leader of a
 * Stable group, which triggers a rebalance.
 */
import { ErrorCode, type ErrorName } from '../api/error-codes.js';
import type { JoinGroupRequest } from '../protocol/generated/join-group-request.js';
import { ClassicGroup } from './classic-group.js';
import { ClassicMember, type JoinReply, type Protocol } from './classic-member.js';
import {
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  prepareRebalance,
  rescheduleHeartbeat,
} from './classic-rebalance.js';
import { groupMetadataRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';

export interface JoinInput {
  readonly request: JoinGroupRequest;
  readonly apiVersion: number;
  readonly clientId: string;
  readonly clientHost: string;
}

interface JoinCall {
  readonly env: ShardEnv;
  readonly op: GroupOp;
  readonly group: ClassicGroup;
  readonly input: JoinInput;
  readonly protocols: readonly Protocol[];
  readonly reply: JoinReply;
}

const code = (name: ErrorName): number => ErrorCode[name];

export function joinGroup(env: ShardEnv, op: GroupOp, groups: Map<string, ClassicGroup>, input: JoinInput, reply: JoinReply): void {
  const req = input.request;
  const isUnknownMember = req.memberId === '';
  let group = groups.get(req.groupId);
  if (!group) {
    if (!isUnknownMember) {
      reply({ memberId: req.memberId, errorCode: code('UNKNOWN_MEMBER_ID') });
      return;
    }
    group = new ClassicGroup(req.groupId);
    groups.set(req.groupId, group);
  }
  const protocols = req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
  const call: JoinCall = { env, op, group, input, protocols, reply };
  if (!acceptJoiningMember(env, group, req.memberId)) {
    group.remove(req.memberId);
    reply({ memberId: '', errorCode: code('GROUP_MAX_SIZE_REACHED') });
  } else if (isUnknownMember) {
    joinNewMember(call);
  } else {
    joinExistingMember(call);
  }
}

function acceptJoiningMember(env: ShardEnv, group: ClassicGroup, memberId: string): boolean {
  switch (group.state) {
    case 'Empty':
    case 'Dead':
      return true;
    case 'PreparingRebalance':
      return group.members.get(memberId)?.awaitingJoin != null || group.numAwaitingJoin() < env.config.maxSize;
    default:
      return group.members.has(memberId) || group.members.size < env.config.maxSize;
  }
}

function joinNewMember(call: JoinCall): void {
  const { env, op, group, input, reply } = call;
  const req = input.request;
  if (group.is('Dead')) {
    reply({ memberId: '', errorCode: code('COORDINATOR_NOT_AVAILABLE') });
    return;
  }
  if (!group.supportsProtocols(req.protocolType, call.protocols.map((p) => p.name))) {
    reply({ memberId: '', errorCode: code('INCONSISTENT_GROUP_PROTOCOL') });
    return;
  }
  const newMemberId = env.newMemberId(req.groupInstanceId ?? input.clientId);
  if (req.groupInstanceId !== null) {
    const existing = group.staticMembers.get(req.groupInstanceId);
    if (existing !== undefined) updateStaticMember(call, existing, newMemberId);
    else addMemberAndRebalance(call, newMemberId);
  } else if (input.apiVersion >= 4) {
    group.pendingJoin.set(newMemberId, op.now + req.sessionTimeoutMs);
    reply({ memberId: newMemberId, errorCode: code('MEMBER_ID_REQUIRED') });
  } else {
    addMemberAndRebalance(call, newMemberId);
  }
}

function currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): Parameters<JoinReply>[0] {
  return {
    errorCode: ErrorCode.NONE,
    memberId,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment: false,
    members: withMembers ? group.currentMembersForJoin() : [],
  };
}

function joinExistingMember(call: JoinCall): void {
  const { env, group, input, reply } = call;
  const req = input.request;
  const memberId = req.memberId;
  if (group.is('Dead')) {
    reply({ memberId, errorCode: code('COORDINATOR_NOT_AVAILABLE') });
    return;
  }
  if (!group.supportsProtocols(req.protocolType, call.protocols.map((p) => p.name))) {
    reply({ memberId, errorCode: code('INCONSISTENT_GROUP_PROTOCOL') });
    return;
  }
  if (group.pendingJoin.has(memberId)) {
    addMemberAndRebalance(call, memberId);
    return;
  }
  const invalid = group.validateMember(memberId, req.groupInstanceId);
  if (invalid !== null) {
    reply({ memberId, errorCode: code(invalid), protocolType: null, protocolName: null });
    return;
  }
  const member = group.members.get(memberId) as ClassicMember;
  switch (group.state) {
    case 'PreparingRebalance':
      updateMemberAndRebalance(call, member, `member ${memberId} is joining during PreparingRebalance`);
      return;
    case 'CompletingRebalance':
      if (member.matches(call.protocols)) reply(currentGeneration(group, memberId, group.isLeader(memberId)));
      else updateMemberAndRebalance(call, member, `updating metadata of member ${memberId} during CompletingRebalance`);
      return;
    case 'Stable':
      if (group.isLeader(memberId)) updateMemberAndRebalance(call, member, `leader ${memberId} re-joining during Stable`);
      else if (!member.matches(call.protocols)) updateMemberAndRebalance(call, member, `updating metadata of member ${memberId} during Stable`);
      else reply(currentGeneration(group, memberId, false));
      return;
    default:
      env.log.warn({ group: group.groupId, member: memberId, state: group.state }, 'rejoining member in an unexpected group state');
      reply({ memberId, errorCode: code('UNKNOWN_MEMBER_ID') });
  }
}

function updateMemberAndRebalance(call: JoinCall, member: ClassicMember, reason: string): void {
  const req = call.input.request;
  call.group.updateMember(member, call.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, call.reply);
  maybePrepareRebalanceOrCompleteJoin(call.env, call.op, call.group, reason);
}

function addMemberAndRebalance(call: JoinCall, memberId: string): void {
  const { env, op, group, input } = call;
  const req = input.request;
  const member = new ClassicMember({
    memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: call.protocols,
  });
  member.isNew = true;
  if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
  group.add(member, call.reply);
  // A parked JoinGroup cannot heartbeat; a new member's join is bounded by the new-member join timeout instead.
  rescheduleHeartbeat(member, op.now, env.config.newMemberJoinTimeoutMs);
  maybePrepareRebalanceOrCompleteJoin(env, op, group, `adding new member ${memberId} with group instance id ${req.groupInstanceId}`);
}

function updateStaticMember(call: JoinCall, oldMemberId: string, newMemberId: string): void {
  const { env, op, group, input, reply } = call;
  const req = input.request;
  const instanceId = req.groupInstanceId as string;
  const currentLeader = group.leaderId;
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  rescheduleHeartbeat(member, op.now);
  const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
  group.updateMember(member, call.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, reply);
  const reason = `static member ${instanceId} rejoined as ${newMemberId}`;
  if (group.is('Stable')) {
    if ((group.protocolName ?? '') !== group.selectProtocol()) {
      maybePrepareRebalanceOrCompleteJoin(env, op, group, `${reason} with a change of protocol`);
      return;
    }
    // No rebalance: persist the new member id, then hand back the current generation.
    op.records.push(groupMetadataRecord(group.groupId, group.toRecord(group.currentAssignments())));
    op.onSuccess.push(() => {
      const skip = input.apiVersion >= 9;
      const isLeader = group.isLeader(newMemberId);
      group.completeJoin(member, {
        ...currentGeneration(group, newMemberId, skip && isLeader),
        leader: (skip ? group.leaderId : currentLeader) ?? '',
        skipAssignment: skip && isLeader,
      });
    });
    op.onFailure.push((errorCode, next) => {
      env.log.warn({ group: group.groupId, instanceId, errorCode }, 'could not persist the new id of a static member; reverting');
      group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
      const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
      rescheduleHeartbeat(restored, next.now);
      reply({
        memberId: '',
        errorCode,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: currentLeader ?? '',
      });
    });
  } else if (group.is('CompletingRebalance')) {
    // The leader may already be assigning to the old member id: rebalance so the new id gets an assignment.
    prepareRebalance(env, op, group, reason);
  } else {
    maybeCompleteJoinPhase(env, op, group);
  }
}
