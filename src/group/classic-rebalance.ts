/**
 * The rebalance transitions of a classic group, shared by JoinGroup,
 * SyncGroup, LeaveGroup, heartbeat expiry and the timers. They follow
 * Kafka's GroupMetadataManager step for step:
 *
 * - prepareRebalance: CompletingRebalance members with a parked SyncGroup
 *   get REBALANCE_IN_PROGRESS; a group leaving Empty waits
 *   group.initial.rebalance.delay.ms (extended while new members keep
 *   arriving, up to the rebalance timeout); otherwise the join phase ends
 *   when every member rejoined or at the rebalance timeout.
 * - completeJoin: dynamic members that did not rejoin are dropped, a
 *   rejoined member leads if the leader did not, the generation moves on
 *   with the protocol most members prefer, and every parked JoinGroup is
 *   answered (the leader's with all members' metadata). An empty result
 *   writes the empty group record.
 * - members that do not send SyncGroup within the rebalance timeout are
 *   removed and the group rebalances again.
 */
import { ErrorCode } from '../api/error-codes.js';
import type { ClassicGroup, JoinTimer } from './classic-group.js';
import { EMPTY_BYTES, type ClassicMember } from './classic-member.js';
import { groupMetadataRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';

export function rescheduleHeartbeat(member: ClassicMember, now: number, timeoutMs = member.sessionTimeoutMs): void {
  member.heartbeatDeadline = now + timeoutMs;
}

export function prepareRebalance(env: ShardEnv, op: GroupOp, group: ClassicGroup, reason: string): void {
  if (group.is('CompletingRebalance')) resetAndPropagateAssignmentWithError(group, ErrorCode.REBALANCE_IN_PROGRESS, op.now);
  group.pendingSync.clear();
  group.syncTimer = null;
  const initial = group.is('Empty');
  if (initial) {
    const delayMs = env.config.initialRebalanceDelayMs;
    const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
    group.joinTimer = { kind: 'initial', deadline: op.now + delayMs, delayMs, remainingMs };
  }
  group.transitionTo('PreparingRebalance', op.now);
  env.log.info({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance');
  if (!initial) maybeCompleteJoinElseSchedule(env, op, group);
}

function maybeCompleteJoinElseSchedule(env: ShardEnv, op: GroupOp, group: ClassicGroup): void {
  if (group.hasAllMembersJoined()) completeJoin(env, op, group);
  else group.joinTimer = { kind: 'rebalance', deadline: op.now + group.rebalanceTimeoutMs() };
}

export function maybePrepareRebalanceOrCompleteJoin(env: ShardEnv, op: GroupOp, group: ClassicGroup, reason: string): void {
  if (group.canRebalance()) prepareRebalance(env, op, group, reason);
  else maybeCompleteJoinPhase(env, op, group);
}

/** Ends the join phase when all members are in, except during a new group's initial delay. */
export function maybeCompleteJoinPhase(env: ShardEnv, op: GroupOp, group: ClassicGroup): void {
  if (!group.is('PreparingRebalance')) return;
  if (group.previousState === 'Empty') return;
  if (!group.hasAllMembersJoined()) return;
  completeJoin(env, op, group);
}

export function completeJoin(env: ShardEnv, op: GroupOp, group: ClassicGroup): void {
  group.joinTimer = null;
  const dropped = group.notYetRejoined().filter((m) => !m.isStatic);
  for (const m of dropped) group.remove(m.memberId);
  if (dropped.length > 0) env.log.info({ group: group.groupId, members: dropped.map((m) => m.memberId) }, 'removed members that did not rejoin');
  if (group.is('Dead')) return;
  if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
    // Only static members that have not rejoined are left: wait for them (or their session timeouts).
    group.joinTimer = { kind: 'rebalance', deadline: op.now + group.rebalanceTimeoutMs() };
    return;
  }
  group.initNextGeneration(op.now);
  if (group.is('Empty')) {
    env.log.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
    op.records.push(groupMetadataRecord(group.groupId, group.toRecord(new Map())));
    return;
  }
  env.log.info({ group: group.groupId, generation: group.generationId, members: group.members.size }, 'stabilized group');
  for (const m of group.members.values()) {
    group.completeJoin(m, {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId: m.memberId,
      members: group.isLeader(m.memberId) ? group.currentMembersForJoin() : [],
    });
    rescheduleHeartbeat(m, op.now);
    m.isNew = false;
    group.pendingSync.add(m.memberId);
  }
  group.syncTimer = { deadline: op.now + group.rebalanceTimeoutMs(), generationId: group.generationId };
}

/** Answers every parked SyncGroup with the members' assignments (or an error), resetting their sessions. */
export function propagateAssignment(group: ClassicGroup, errorCode: number, now: number): void {
  const ok = errorCode === ErrorCode.NONE;
  for (const m of group.members.values()) {
    const answered = group.completeSync(m, {
      errorCode,
      protocolType: ok ? group.protocolType : null,
      protocolName: ok ? group.protocolName : null,
      assignment: m.assignment,
    });
    if (answered) rescheduleHeartbeat(m, now);
  }
}

export function resetAndPropagateAssignmentWithError(group: ClassicGroup, errorCode: number, now: number): void {
  for (const m of group.members.values()) m.assignment = EMPTY_BYTES;
  propagateAssignment(group, errorCode, now);
}

export function setAndPropagateAssignment(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>, now: number): void {
  for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY_BYTES;
  propagateAssignment(group, ErrorCode.NONE, now);
}

/** Removes a member (left, expired, or fenced out) and moves the rebalance on. */
export function removeMemberAndUpdateGroup(env: ShardEnv, op: GroupOp, group: ClassicGroup, member: ClassicMember, reason: string): void {
  group.completeJoin(member, { memberId: '', errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  group.completeSync(member, { errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  group.remove(member.memberId);
  if (group.is('Stable') || group.is('CompletingRebalance')) maybePrepareRebalanceOrCompleteJoin(env, op, group, reason);
  else if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) completeJoin(env, op, group);
}

function removePendingMember(env: ShardEnv, op: GroupOp, group: ClassicGroup, memberId: string): void {
  group.remove(memberId);
  if (group.is('PreparingRebalance') && group.hasAllMembersJoined()) completeJoin(env, op, group);
}

function expireHeartbeat(env: ShardEnv, op: GroupOp, group: ClassicGroup, member: ClassicMember): void {
  if (member.hasSatisfiedHeartbeat()) {
    // Parked in JoinGroup or SyncGroup: the deadline is set again when it is answered.
    member.heartbeatDeadline = Infinity;
    return;
  }
  env.log.info({ group: group.groupId, member: member.memberId }, 'member failed to heartbeat; removing it');
  removeMemberAndUpdateGroup(env, op, group, member, `removing member ${member.memberId} on heartbeat expiration`);
}

function tryCompleteInitialRebalance(env: ShardEnv, op: GroupOp, group: ClassicGroup, timer: Extract<JoinTimer, { kind: 'initial' }>): void {
  if (group.newMemberAdded && timer.remainingMs !== 0) {
    group.newMemberAdded = false;
    const delayMs = Math.min(env.config.initialRebalanceDelayMs, timer.remainingMs);
    const remainingMs = Math.max(timer.remainingMs - timer.delayMs, 0);
    group.joinTimer = { kind: 'initial', deadline: op.now + delayMs, delayMs, remainingMs };
    return;
  }
  completeJoin(env, op, group);
}

function expirePendingSync(env: ShardEnv, op: GroupOp, group: ClassicGroup, generationId: number): void {
  if (generationId !== group.generationId) return;
  if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSync.size === 0) return;
  const late = [...group.pendingSync];
  for (const id of late) group.remove(id);
  env.log.info({ group: group.groupId, members: late }, 'removed members that did not send SyncGroup in time');
  prepareRebalance(env, op, group, `removing ${late.join(', ')} on pending sync request expiration`);
}

/** Runs whatever timers of the group are due at op.now. */
export function expireGroupTimers(env: ShardEnv, op: GroupOp, group: ClassicGroup): void {
  const now = op.now;
  for (const [id, deadline] of [...group.pendingJoin]) {
    if (deadline <= now) removePendingMember(env, op, group, id);
  }
  for (const m of [...group.members.values()]) {
    if (m.heartbeatDeadline <= now && group.members.get(m.memberId) === m && !group.is('Dead')) expireHeartbeat(env, op, group, m);
  }
  const join = group.joinTimer;
  if (join && join.deadline <= now) {
    group.joinTimer = null;
    if (group.is('PreparingRebalance')) {
      if (join.kind === 'initial') tryCompleteInitialRebalance(env, op, group, join);
      else completeJoin(env, op, group);
    }
  }
  const sync = group.syncTimer;
  if (sync && sync.deadline <= now) {
    group.syncTimer = null;
    expirePendingSync(env, op, group, sync.generationId);
  }
}

/** The earliest time any of the group's timers is due (Infinity: none). */
export function nextGroupDeadline(group: ClassicGroup): number {
  let next = Math.min(group.joinTimer?.deadline ?? Infinity, group.syncTimer?.deadline ?? Infinity);
  for (const d of group.pendingJoin.values()) next = Math.min(next, d);
  for (const m of group.members.values()) next = Math.min(next, m.heartbeatDeadline);
  return next;
}
