/**
 * SyncGroup, Heartbeat and LeaveGroup for classic groups, as Kafka's
 * GroupMetadataManager decides them.
 *
 * SyncGroup: fenced callers get UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID or
 * ILLEGAL_GENERATION; from v5 a protocol type or name other than the
 * group's is INCONSISTENT_GROUP_PROTOCOL. During CompletingRebalance a
 * SyncGroup is parked; the leader's assignment (members it left out get an
 * empty one) is written as the group's record, and once that write is
 * durable the group is Stable and every parked SyncGroup gets its member's
 * assignment. A failed write answers them with the error and rebalances.
 *
 * Heartbeat: REBALANCE_IN_PROGRESS while PreparingRebalance (the member
 * must rejoin), NONE otherwise; a valid heartbeat extends the session.
 *
 * LeaveGroup: members leave by member id, or (v3+, admin removal) by
 * group.instance.id alone; each gets its own error code, and the group
 * rebalances without them.
 */
import { ErrorCode } from '../api/error-codes.js';
import type { SyncGroupRequest } from '../protocol/generated/sync-group-request.js';
import type { HeartbeatRequest } from '../protocol/generated/heartbeat-request.js';
import type { MemberIdentity } from '../protocol/generated/leave-group-request.js';
import type { Input } from '../protocol/primitives/index.js';
import type { MemberResponse } from '../protocol/generated/leave-group-response.js';
import type { ClassicGroup } from './classic-group.js';
import { EMPTY_BYTES, type ClassicMember, type SyncReply } from './classic-member.js';
import {
  maybeCompleteJoinPhase,
  maybePrepareRebalanceOrCompleteJoin,
  rescheduleHeartbeat,
  resetAndPropagateAssignmentWithError,
  setAndPropagateAssignment,
} from './classic-rebalance.js';
import { groupMetadataRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';

const isProtocolInconsistent = (requested: string | null, current: string | null): boolean =>
  requested !== null && current !== null && requested !== current;

function validateSync(group: ClassicGroup, req: SyncGroupRequest): number | null {
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const invalid = group.validateMember(req.memberId, req.groupInstanceId);
  if (invalid !== null) return ErrorCode[invalid];
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (isProtocolInconsistent(req.protocolType, group.protocolType) || isProtocolInconsistent(req.protocolName, group.protocolName)) {
    return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  }
  return null;
}

function removePendingSync(group: ClassicGroup, memberId: string): void {
  group.pendingSync.delete(memberId);
  if (group.pendingSync.size === 0) group.syncTimer = null;
}

export function syncGroup(env: ShardEnv, op: GroupOp, groups: ReadonlyMap<string, ClassicGroup>, req: SyncGroupRequest, reply: SyncReply): void {
  const group = groups.get(req.groupId);
  if (!group || group.is('Empty')) {
    reply({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    return;
  }
  const invalid = validateSync(group, req);
  if (invalid !== null) {
    reply({ errorCode: invalid });
    return;
  }
  const member = group.members.get(req.memberId) as ClassicMember;
  if (group.is('PreparingRebalance')) {
    reply({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
  } else if (group.is('Stable')) {
    removePendingSync(group, req.memberId);
    reply({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
  } else if (group.is('CompletingRebalance')) {
    const previous = member.awaitingSync;
    member.awaitingSync = reply;
    if (previous && previous !== reply) previous({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    removePendingSync(group, req.memberId);
    if (group.isLeader(req.memberId)) storeAssignment(env, op, group, req);
  }
}

function storeAssignment(env: ShardEnv, op: GroupOp, group: ClassicGroup, req: SyncGroupRequest): void {
  const assignments = new Map<string, Buffer>();
  for (const a of req.assignments) assignments.set(a.memberId, Buffer.from(a.assignment));
  const missing = [...group.members.keys()].filter((id) => !assignments.has(id));
  for (const id of missing) assignments.set(id, EMPTY_BYTES);
  if (missing.length > 0) env.log.warn({ group: group.groupId, members: missing }, 'leader left members without an assignment; they get an empty one');
  const generation = group.generationId;
  op.records.push(groupMetadataRecord(group.groupId, group.toRecord(assignments)));
  const current = (): boolean => group.is('CompletingRebalance') && group.generationId === generation;
  op.onSuccess.push(() => {
    if (!current()) return;
    setAndPropagateAssignment(group, assignments, op.now);
    group.transitionTo('Stable', op.now);
  });
  op.onFailure.push((errorCode, next) => {
    if (!current()) return;
    resetAndPropagateAssignmentWithError(group, errorCode, next.now);
    maybePrepareRebalanceOrCompleteJoin(env, next, group, `error ${errorCode} when storing the group assignment`);
  });
}

export function heartbeat(groups: ReadonlyMap<string, ClassicGroup>, req: HeartbeatRequest, now: number): number {
  const group = groups.get(req.groupId);
  if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const invalid = group.validateMember(req.memberId, req.groupInstanceId);
  if (invalid !== null) return ErrorCode[invalid];
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  const member = group.members.get(req.memberId) as ClassicMember;
  switch (group.state) {
    case 'Empty':
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case 'PreparingRebalance':
      rescheduleHeartbeat(member, now);
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      rescheduleHeartbeat(member, now);
      return ErrorCode.NONE;
  }
}

export interface LeaveResult {
  errorCode: number;
  members: Input<MemberResponse>[];
}

export function leaveGroup(env: ShardEnv, op: GroupOp, groups: ReadonlyMap<string, ClassicGroup>, groupId: string, leaving: readonly MemberIdentity[]): LeaveResult {
  const group = groups.get(groupId);
  const answer = (m: MemberIdentity, errorCode: number): Input<MemberResponse> => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
  if (!group) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => answer(m, ErrorCode.UNKNOWN_MEMBER_ID)) };
  if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
  const members = leaving.map((m) => answer(m, leaveOne(env, group, m)));
  const left = members.filter((m) => m.errorCode === ErrorCode.NONE).map((m) => m.memberId);
  if (left.length > 0) {
    const reason = `explicit LeaveGroup request for (${left.join(', ')}) members`;
    if (group.is('Stable') || group.is('CompletingRebalance')) maybePrepareRebalanceOrCompleteJoin(env, op, group, reason);
    else if (group.is('PreparingRebalance')) maybeCompleteJoinPhase(env, op, group);
  }
  return { errorCode: ErrorCode.NONE, members };
}

function leaveOne(env: ShardEnv, group: ClassicGroup, m: MemberIdentity): number {
  if (m.memberId === '') {
    // Admin removal of a static member by its instance id alone.
    const id = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId);
    if (id === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    removeCurrentMember(env, group, id, m.reason);
    return ErrorCode.NONE;
  }
  if (group.pendingJoin.has(m.memberId)) {
    group.remove(m.memberId);
    return ErrorCode.NONE;
  }
  const invalid = group.validateMember(m.memberId, m.groupInstanceId);
  if (invalid !== null) return ErrorCode[invalid];
  removeCurrentMember(env, group, m.memberId, m.reason);
  return ErrorCode.NONE;
}

function removeCurrentMember(env: ShardEnv, group: ClassicGroup, memberId: string, reason: string | null): void {
  const member = group.members.get(memberId) as ClassicMember;
  env.log.info({ group: group.groupId, member: memberId, reason: reason ?? 'not provided' }, 'member left the group');
  group.completeJoin(member, { memberId: '', errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  group.completeSync(member, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  group.remove(memberId);
}
