/**
 * Offset operations of a coordinator shard, as Kafka's OffsetMetadataManager
 * decides them. Each write returns records; the offsets change only when
 * those records are replayed (group-shard.ts).
 *
 * OffsetCommit: a group that does not exist is created as a "simple" group
 * when the commit carries no generation (generation -1: standalone
 * consumers and admin tools), else the commit is ILLEGAL_GENERATION (v0-8)
 * or GROUP_ID_NOT_FOUND (v9+). Members of a classic group must send their
 * member id and the current generation (UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID, ILLEGAL_GENERATION), and cannot commit while the
 * group waits for its assignment (REBALANCE_IN_PROGRESS); commits during
 * PreparingRebalance are accepted, so eager members can commit before they
 * rejoin. A metadata string longer than offset.metadata.max.bytes is
 * OFFSET_METADATA_TOO_LARGE for its partition. v2-4 may give a retention
 * time, stored as an explicit expire timestamp.
 *
 * Expiry (offsets.retention.minutes): offsets of an Empty group expire the
 * retention time after the group became empty; offsets of a simple group,
 * or of topics a Stable consumer group no longer subscribes to, the
 * retention time after their commit; explicit expire timestamps win. An
 * Empty group left without offsets is deleted.
 */
import { KafkaError } from '../api/error-codes.js';
import { ErrorCode } from '../api/error-codes.js';
import type { OffsetCommitRequest } from '../protocol/generated/offset-commit-request.js';
import type { OffsetCommitResponseTopic } from '../protocol/generated/offset-commit-response.js';
import type { OffsetDeleteRequestTopic } from '../protocol/generated/offset-delete-request.js';
import type { OffsetDeleteResponseTopic } from '../protocol/generated/offset-delete-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ClassicGroup } from './classic-group.js';
import { rescheduleHeartbeat } from './classic-rebalance.js';
import { groupMetadataRecord, offsetRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';
import type { CommittedOffset, OffsetStore } from './offset-store.js';
import type { PendingTxnOffsets } from './pending-txn-offsets.js';

export interface CommitInput {
  readonly request: OffsetCommitRequest;
  readonly apiVersion: number;
  /** Whether the topic partition exists (UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
}

export interface FetchedPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
}

export interface FetchedTopic {
  name: string;
  partitions: FetchedPartition[];
}

/**
 * Kafka's ClassicGroup.validateOffsetCommit. Transactional commits (older
 * TxnOffsetCommit versions carry no member) are accepted without a member
 * from a non-empty group, and during CompletingRebalance.
 */
export function validateCommit(
  group: ClassicGroup,
  req: { generation: number; memberId: string; groupInstanceId: string | null },
  transactional: boolean,
): void {
  const generation = req.generation;
  if (group.is('Dead')) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
  if (generation < 0 && group.is('Empty')) return;
  if (generation >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
    const invalid = group.validateMember(req.memberId, req.groupInstanceId);
    if (invalid !== null) throw new KafkaError(invalid);
    if (generation !== group.generationId) throw new KafkaError('ILLEGAL_GENERATION');
  } else if (!transactional && !group.is('Empty')) {
    throw new KafkaError('UNKNOWN_MEMBER_ID');
  }
  if (!transactional && group.is('CompletingRebalance')) throw new KafkaError('REBALANCE_IN_PROGRESS');
}

export function commitOffsets(env: ShardEnv, op: GroupOp, groups: Map<string, ClassicGroup>, input: CommitInput): Input<OffsetCommitResponseTopic>[] {
  const req = input.request;
  let group = groups.get(req.groupId);
  if (!group) {
    if (req.generationIdOrMemberEpoch >= 0) throw new KafkaError(input.apiVersion >= 9 ? 'GROUP_ID_NOT_FOUND' : 'ILLEGAL_GENERATION');
    group = new ClassicGroup(req.groupId);
    group.stateTimestamp = op.now;
    groups.set(req.groupId, group);
  }
  validateCommit(group, { generation: req.generationIdOrMemberEpoch, memberId: req.memberId, groupInstanceId: req.groupInstanceId }, false);
  const member = group.members.get(req.memberId);
  if (member && (group.is('Stable') || group.is('PreparingRebalance'))) rescheduleHeartbeat(member, op.now);
  const retention = input.apiVersion <= 4 ? req.retentionTimeMs : -1n;
  const expireTimestamp = retention === -1n ? -1n : BigInt(op.now) + retention;
  return req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => {
      let errorCode: number = ErrorCode.NONE;
      const metadata = p.committedMetadata ?? '';
      if (!input.partitionExists(t.name, p.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      else if (metadata.length > env.config.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
      else {
        op.records.push(
          offsetRecord(req.groupId, t.name, p.partitionIndex, {
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch,
            metadata,
            commitTimestamp: BigInt(op.now),
            expireTimestamp,
          }),
        );
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
}

const NO_OFFSET = (partitionIndex: number): FetchedPartition => ({
  partitionIndex,
  committedOffset: -1n,
  committedLeaderEpoch: -1,
  metadata: '',
  errorCode: ErrorCode.NONE,
});

function fetched(partitionIndex: number, v: CommittedOffset): FetchedPartition {
  return { partitionIndex, committedOffset: v.offset, committedLeaderEpoch: v.leaderEpoch, metadata: v.metadata, errorCode: ErrorCode.NONE };
}

const UNSTABLE = (partitionIndex: number): FetchedPartition => ({ ...NO_OFFSET(partitionIndex), errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });

/**
 * Committed offsets of the asked partitions (-1 where none), or of every
 * partition when topics is null. With require_stable (KIP-447), a
 * partition an open transaction has committed an offset for answers
 * UNSTABLE_OFFSET_COMMIT, so the consumer retries after the transaction.
 */
export function fetchOffsets(
  groups: ReadonlyMap<string, ClassicGroup>,
  offsets: OffsetStore,
  groupId: string,
  topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null,
  pending: PendingTxnOffsets | null = null,
): FetchedTopic[] {
  if (groups.get(groupId)?.is('Dead')) throw new KafkaError('GROUP_ID_NOT_FOUND');
  const unstable = (topic: string, partition: number): boolean => pending !== null && pending.has(groupId, topic, partition);
  if (topics !== null) {
    return topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((i) => {
        if (unstable(t.name, i)) return UNSTABLE(i);
        const v = offsets.get(groupId, t.name, i);
        return v ? fetched(i, v) : NO_OFFSET(i);
      }),
    }));
  }
  const byTopic = new Map<string, FetchedPartition[]>();
  for (const { topic, partition, value } of offsets.entries(groupId)) {
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(unstable(topic, partition) ? UNSTABLE(partition) : fetched(partition, value));
  }
  return [...byTopic].map(([name, partitions]) => ({ name, partitions }));
}

export function deleteOffsets(
  op: GroupOp,
  groups: ReadonlyMap<string, ClassicGroup>,
  offsets: OffsetStore,
  groupId: string,
  topics: readonly OffsetDeleteRequestTopic[],
): Input<OffsetDeleteResponseTopic>[] {
  const group = groups.get(groupId);
  if (!group || group.is('Dead')) throw new KafkaError('GROUP_ID_NOT_FOUND');
  if (!group.is('Empty') && !group.usesConsumerProtocol()) throw new KafkaError('NON_EMPTY_GROUP');
  return topics.map((t) => {
    const subscribed = group.isSubscribedToTopic(t.name);
    return {
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (subscribed) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (offsets.get(groupId, t.name, p.partitionIndex)) op.records.push(offsetRecord(groupId, t.name, p.partitionIndex, null));
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    };
  });
}

/** The time an offset's retention counts from, or null when the group's offsets do not expire now. */
function expiryBase(group: ClassicGroup | undefined, topic: string, v: CommittedOffset): number | null {
  if (!group || group.protocolType === null) return Number(v.commitTimestamp);
  if (group.is('Empty')) return group.stateTimestamp ?? Number(v.commitTimestamp);
  if (group.usesConsumerProtocol() && group.subscribedTopics !== null && group.is('Stable') && !group.subscribedTopics.has(topic)) {
    return Number(v.commitTimestamp);
  }
  return null;
}

/**
 * Tombstones for expired offsets, and for Empty groups that are left with
 * none. Offsets an open transaction is about to replace are kept, and so
 * are groups with open transactions.
 */
export function expireOffsets(
  env: ShardEnv,
  op: GroupOp,
  groups: ReadonlyMap<string, ClassicGroup>,
  offsets: OffsetStore,
  pending: PendingTxnOffsets | null = null,
): void {
  const retentionMs = env.config.offsetsRetentionMs;
  const groupIds = new Set([...offsets.groups(), ...groups.keys()]);
  for (const groupId of groupIds) {
    const group = groups.get(groupId);
    let kept = 0;
    for (const { topic, partition, value } of offsets.entries(groupId)) {
      const base = expiryBase(group, topic, value);
      const expired =
        value.expireTimestamp >= 0n ? op.now >= Number(value.expireTimestamp) : base !== null && op.now - base >= retentionMs;
      if (expired && !pending?.has(groupId, topic, partition)) op.records.push(offsetRecord(groupId, topic, partition, null));
      else kept++;
    }
    if (group && group.is('Empty') && kept === 0 && group.pendingJoin.size === 0 && !pending?.has(groupId)) {
      op.records.push(groupMetadataRecord(groupId, null));
    }
  }
}
