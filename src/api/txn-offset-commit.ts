/**
 * TxnOffsetCommit (key 28), v0-4. v2 adds the committed leader epoch, v3
 * is flexible and adds the member id, group.instance.id and generation
 * (KIP-447: a consumer-group-aware producer is fenced like a member), v4
 * allows TRANSACTION_ABORTABLE.
 *
 * Sent to the group coordinator by a transactional producer after
 * AddOffsetsToTxn. The offsets are written to the group's
 * __consumer_offsets partition as the producer's transactional batch and
 * stay pending: OffsetFetch does not see them (require_stable gets
 * UNSTABLE_OFFSET_COMMIT) until the transaction's commit marker makes them
 * the group's committed offsets; an abort drops them. An empty group id is
 * INVALID_GROUP_ID; group validation as in src/group/txn-offset-ops.ts; a
 * stale producer epoch is INVALID_PRODUCER_EPOCH; a group partition not in
 * the producer's transaction (no AddOffsetsToTxn) is INVALID_TXN_STATE
 * (transaction.partition.verification.enable). Request-wide errors are
 * reported on every partition.
 */
import { txnOffsetCommitRequestMeta } from '../protocol/generated/txn-offset-commit-request.js';
import { txnOffsetCommitResponseMeta, type TxnOffsetCommitResponseTopic } from '../protocol/generated/txn-offset-commit-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: txnOffsetCommitRequestMeta,
  response: txnOffsetCommitResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const everywhere = (errorCode: number): Input<TxnOffsetCommitResponseTopic>[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    if (req.groupId === '') return { topics: everywhere(ErrorCode.INVALID_GROUP_ID) };
    if (req.transactionalId === '') return { topics: everywhere(ErrorCode.INVALID_REQUEST) };
    const image = ctx.broker.image();
    const partitionExists = (topic: string, partition: number): boolean => image.partition(topic, partition) !== undefined;
    const input = { request: req, apiVersion: ctx.apiVersion, partitionExists };
    try {
      return { topics: await ctx.broker.groups.write(req.groupId, (shard, op) => shard.commitTransactionalOffsets(op, input), true) };
    } catch (err) {
      return { topics: everywhere(toErrorCode(err)) };
    }
  },
});
