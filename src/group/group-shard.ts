/**
 * GroupShard: the state machine of one __consumer_offsets partition (one
 * coordinator shard), pure and synchronous: no clock, timers, sockets or
 * files. The runtime (coordinator-runtime.ts) drives it one operation at a
 * time and passes `now` in.
 *
 * Two kinds of state, as in Kafka's GroupCoordinatorShard:
 * - durable state, changed only by replay(record): committed offsets, and
 *   the groups' records (generation, protocol, leader, members and their
 *   assignments). Loading a partition is replaying its log; a write is
 *   decided here, appended by the runtime, then replayed.
 * - the classic protocol's soft state (who is parked in JoinGroup or
 *   SyncGroup, pending member ids, heartbeat and rebalance deadlines),
 *   which Kafka also keeps only in memory and which starts afresh when a
 *   coordinator loads: loaded groups are Stable or Empty, their members'
 *   sessions start at load time. It changes inside one synchronous
 *   operation, or in the hooks the runtime runs right after an append
 *   (Kafka's CoordinatorResult with replayRecords=false for classic groups).
 *
 * Transactional offsets (TxnOffsetCommit) replay as pending offsets of
 * their producer; the producer's commit marker (replayEndMarker) makes them
 * committed offsets unless a later record already committed the partition,
 * an abort marker drops them.
 *
 * Invariant: every group with committed offsets exists (a "simple" group,
 * Empty with no protocol type, when nothing else made it).
 */
import { ErrorCode } from '../api/error-codes.js';
import type { Input } from '../protocol/primitives/index.js';
import type { DescribedGroup } from '../protocol/generated/describe-groups-response.js';
import type { ListedGroup } from '../protocol/generated/list-groups-response.js';
import type { OffsetDeleteRequestTopic } from '../protocol/generated/offset-delete-request.js';
import type { OffsetDeleteResponseTopic } from '../protocol/generated/offset-delete-response.js';
import type { OffsetCommitResponseTopic } from '../protocol/generated/offset-commit-response.js';
import type { SyncGroupRequest } from '../protocol/generated/sync-group-request.js';
import type { HeartbeatRequest } from '../protocol/generated/heartbeat-request.js';
import type { MemberIdentity } from '../protocol/generated/leave-group-request.js';
import { ClassicGroup } from './classic-group.js';
import type { JoinReply, SyncReply } from './classic-member.js';
import { joinGroup, type JoinInput } from './classic-join.js';
import { heartbeat, leaveGroup, syncGroup, type LeaveResult } from './classic-membership.js';
import { expireGroupTimers, nextGroupDeadline, rescheduleHeartbeat } from './classic-rebalance.js';
import { groupMetadataRecord, offsetRecord, type GroupRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';
import { OffsetStore } from './offset-store.js';
import { commitOffsets, deleteOffsets, expireOffsets, fetchOffsets, type CommitInput, type FetchedTopic } from './offset-ops.js';
import { PendingTxnOffsets } from './pending-txn-offsets.js';
import { commitTransactionalOffsets, type TxnCommitInput } from './txn-offset-ops.js';
import type { TxnOffsetCommitResponseTopic } from '../protocol/generated/txn-offset-commit-response.js';
import type { CoordinatorShard, RecordPosition } from './coordinator-runtime.js';

export const CLASSIC_GROUP_TYPE = 'classic';

export class GroupShard implements CoordinatorShard<GroupRecord, GroupOp> {
  readonly groups = new Map<string, ClassicGroup>();
  readonly offsets = new OffsetStore();
  /** Offsets of open transactions, by producer. */
  readonly pendingTxnOffsets = new PendingTxnOffsets();
  /** True until finishLoad: replayed group records replace groups wholesale. */
  private loading = true;

  constructor(
    readonly partition: number,
    private readonly env: ShardEnv,
  ) {}

  // ------------------------------------------------------------ durable state

  /**
   * Applies one record of this shard's partition (while loading, or after
   * the runtime appended it); `at` is where it sits, and its producer when
   * it came in a transactional batch.
   */
  replay(record: GroupRecord, now: number, at?: RecordPosition): void {
    if (record.kind === 'offset') {
      if (record.value === null) {
        this.offsets.delete(record.group, record.topic, record.partition);
        this.pendingTxnOffsets.removePartition(record.group, record.topic, record.partition);
        return;
      }
      const recordOffset = at?.offset ?? -1;
      if (at && at.producerId >= 0n) {
        this.pendingTxnOffsets.add(at.producerId, record.group, record.topic, record.partition, record.value, recordOffset);
      } else {
        this.offsets.set(record.group, record.topic, record.partition, record.value, recordOffset);
      }
      if (!this.groups.has(record.group)) {
        const simple = new ClassicGroup(record.group);
        simple.stateTimestamp = Number(record.value.commitTimestamp);
        this.groups.set(record.group, simple);
      }
      return;
    }
    if (record.value === null) {
      this.removeGroup(record.group, ErrorCode.GROUP_ID_NOT_FOUND, now);
      return;
    }
    // At run time the live group already is what its record says (the record was written from it).
    if (this.loading || !this.groups.has(record.group)) {
      this.groups.set(record.group, ClassicGroup.fromRecord(record.group, record.value, now));
    }
  }

  /**
   * A producer's transaction ended on this partition: on commit its pending
   * offsets become committed (each only if no later record committed the
   * partition, as compaction may reorder them otherwise), on abort they go.
   */
  replayEndMarker(producerId: bigint, commit: boolean): void {
    const pending = this.pendingTxnOffsets.take(producerId);
    if (!pending || !commit) return;
    for (const group of pending.groups()) {
      for (const { topic, partition, value, recordOffset } of pending.entries(group)) {
        const existing = this.offsets.recordOffset(group, topic, partition);
        if (existing === undefined || recordOffset > existing) this.offsets.set(group, topic, partition, value, recordOffset);
      }
    }
  }

  /** Ends loading: members' sessions start now. */
  finishLoad(now: number): void {
    this.loading = false;
    for (const g of this.groups.values()) for (const m of g.members.values()) rescheduleHeartbeat(m, now);
  }

  get isLoading(): boolean {
    return this.loading;
  }

  private removeGroup(groupId: string, errorCode: number, now: number): void {
    const g = this.groups.get(groupId);
    if (!g) return;
    failParked(g, errorCode);
    if (!g.is('Dead')) g.transitionTo('Dead', now);
    this.groups.delete(groupId);
  }

  /** The coordinator moved away or stopped: every parked request gets errorCode, every group is Dead. */
  unload(errorCode: number, now: number): void {
    for (const id of [...this.groups.keys()]) this.removeGroup(id, errorCode, now);
  }

  // ------------------------------------------------------------ classic protocol

  join(op: GroupOp, input: JoinInput, reply: JoinReply): void {
    joinGroup(this.env, op, this.groups, input, reply);
  }

  sync(op: GroupOp, request: SyncGroupRequest, reply: SyncReply): void {
    syncGroup(this.env, op, this.groups, request, reply);
  }

  heartbeat(op: GroupOp, request: HeartbeatRequest): number {
    return heartbeat(this.groups, request, op.now);
  }

  leave(op: GroupOp, groupId: string, members: readonly MemberIdentity[]): LeaveResult {
    return leaveGroup(this.env, op, this.groups, groupId, members);
  }

  /** Runs every timer that is due. */
  tick(op: GroupOp): void {
    for (const g of [...this.groups.values()]) {
      if (nextGroupDeadline(g) <= op.now) expireGroupTimers(this.env, op, g);
    }
  }

  nextDeadline(): number {
    let next = Infinity;
    for (const g of this.groups.values()) next = Math.min(next, nextGroupDeadline(g));
    return next;
  }

  // ------------------------------------------------------------ offsets

  commitOffsets(op: GroupOp, input: CommitInput): Input<OffsetCommitResponseTopic>[] {
    return commitOffsets(this.env, op, this.groups, input);
  }

  /** Committed offsets; with requireStable, partitions of open transactions are UNSTABLE_OFFSET_COMMIT. */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null, requireStable = false): FetchedTopic[] {
    return fetchOffsets(this.groups, this.offsets, groupId, topics, requireStable ? this.pendingTxnOffsets : null);
  }

  commitTransactionalOffsets(op: GroupOp, input: TxnCommitInput): Input<TxnOffsetCommitResponseTopic>[] {
    return commitTransactionalOffsets(this.env, op, this.groups, input);
  }

  deleteOffsets(op: GroupOp, groupId: string, topics: readonly OffsetDeleteRequestTopic[]): Input<OffsetDeleteResponseTopic>[] {
    return deleteOffsets(op, this.groups, this.offsets, groupId, topics);
  }

  expireOffsets(op: GroupOp): void {
    expireOffsets(this.env, op, this.groups, this.offsets, this.pendingTxnOffsets);
  }

  // ------------------------------------------------------------ admin

  describeGroup(groupId: string): Input<DescribedGroup> {
    const g = this.groups.get(groupId);
    if (!g || g.is('Dead')) {
      return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [] };
    }
    const stable = g.is('Stable');
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? '',
      protocolData: stable ? (g.protocolName ?? '') : '',
      members: [...g.members.values()].map((m) => m.describe(stable ? g.protocolName : null)),
    };
  }

  /** Groups whose state and type pass the filters (empty filter: all; case-insensitive like Kafka). */
  listGroups(statesFilter: readonly string[], typesFilter: readonly string[]): Input<ListedGroup>[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return [];
    const out: Input<ListedGroup>[] = [];
    for (const g of this.groups.values()) {
      if (g.is('Dead')) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return out;
  }

  /** Deletes Empty groups and their offsets (tombstones); error codes per group id. */
  deleteGroups(op: GroupOp, groupIds: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const id of groupIds) {
      if (out.has(id)) continue;
      const g = this.groups.get(id);
      if (!g || g.is('Dead')) out.set(id, ErrorCode.GROUP_ID_NOT_FOUND);
      else if (!g.is('Empty')) out.set(id, ErrorCode.NON_EMPTY_GROUP);
      else {
        for (const { topic, partition } of this.offsets.entries(id)) op.records.push(offsetRecord(id, topic, partition, null));
        // Pending transactional offsets go too (one tombstone per partition).
        for (const { topic, partition } of this.pendingTxnOffsets.partitions(id)) {
          if (!this.offsets.has(id, topic, partition)) op.records.push(offsetRecord(id, topic, partition, null));
        }
        op.records.push(groupMetadataRecord(id, null));
        out.set(id, ErrorCode.NONE);
      }
    }
    return out;
  }
}

function failParked(g: ClassicGroup, errorCode: number): void {
  for (const m of g.members.values()) {
    g.completeJoin(m, { memberId: m.memberId, errorCode });
    g.completeSync(m, { errorCode });
  }
}
