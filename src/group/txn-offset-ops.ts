/**
 * TxnOffsetCommit on a coordinator shard (KIP-98, KIP-447), as Kafka's
 * OffsetMetadataManager.commitTransactionalOffset decides it: the group is
 * validated like an offset commit, but a commit without member id and
 * generation (TxnOffsetCommit v0-2, or a producer outside the group) is
 * accepted from a non-empty group, and commits are not refused while the
 * group completes a rebalance. A group that does not exist is created as a
 * simple group when the commit has no generation, else the commit is
 * ILLEGAL_GENERATION. Each partition is UNKNOWN_TOPIC_OR_PARTITION when it
 * does not exist, OFFSET_METADATA_TOO_LARGE above offset.metadata.max.bytes.
 *
 * The records are the producer's transactional batch (op.producer): on
 * replay they wait as pending offsets of that producer, and become the
 * group's committed offsets only when the commit marker is written.
 */
import { KafkaError } from '../api/error-codes.js';
import { ErrorCode } from '../api/error-codes.js';
import type { TxnOffsetCommitRequest } from '../protocol/generated/txn-offset-commit-request.js';
import type { TxnOffsetCommitResponseTopic } from '../protocol/generated/txn-offset-commit-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ClassicGroup } from './classic-group.js';
import { offsetRecord } from './group-records.js';
import type { GroupOp, ShardEnv } from './group-op.js';
import { validateCommit } from './offset-ops.js';

export interface TxnCommitInput {
  readonly request: TxnOffsetCommitRequest;
  readonly apiVersion: number;
  /** Whether the topic partition exists (UNKNOWN_TOPIC_OR_PARTITION otherwise). */
  readonly partitionExists: (topic: string, partition: number) => boolean;
}

export function commitTransactionalOffsets(
  env: ShardEnv,
  op: GroupOp,
  groups: Map<string, ClassicGroup>,
  input: TxnCommitInput,
): Input<TxnOffsetCommitResponseTopic>[] {
  const req = input.request;
  const member = input.apiVersion >= 3 ? { generation: req.generationId, memberId: req.memberId, groupInstanceId: req.groupInstanceId } : { generation: -1, memberId: '', groupInstanceId: null };
  let group = groups.get(req.groupId);
  if (!group) {
    if (member.generation >= 0) throw new KafkaError('ILLEGAL_GENERATION');
    group = new ClassicGroup(req.groupId);
    group.stateTimestamp = op.now;
    groups.set(req.groupId, group);
  }
  validateCommit(group, member, true);
  op.producer = { producerId: req.producerId, producerEpoch: req.producerEpoch };
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
            leaderEpoch: input.apiVersion >= 2 ? p.committedLeaderEpoch : -1,
            metadata,
            commitTimestamp: BigInt(op.now),
            expireTimestamp: -1n,
          }),
        );
      }
      return { partitionIndex: p.partitionIndex, errorCode };
    }),
  }));
}
