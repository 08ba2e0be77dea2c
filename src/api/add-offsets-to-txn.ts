/**
 * AddOffsetsToTxn (key 25), v0-4. v2 adds PRODUCER_FENCED (older versions
 * get INVALID_PRODUCER_EPOCH), v3 is flexible, v4 allows
 * TRANSACTION_ABORTABLE.
 *
 * Adds the group's __consumer_offsets partition (abs(hashCode(groupId)) %
 * partitions) to the producer's transaction, exactly as AddPartitionsToTxn
 * would, so the commit or abort marker reaches the group coordinator and
 * the transaction's TxnOffsetCommit offsets become visible (or are
 * dropped) with it.
 */
import { addOffsetsToTxnRequestMeta } from '../protocol/generated/add-offsets-to-txn-request.js';
import { addOffsetsToTxnResponseMeta } from '../protocol/generated/add-offsets-to-txn-response.js';
import { OFFSETS_TOPIC } from '../group/group-records.js';
import { fencedFor } from '../txn/txn-errors.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: addOffsetsToTxnRequestMeta,
  response: addOffsetsToTxnResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    if (req.transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST };
    const partition = ctx.broker.groups.partitionFor(req.groupId);
    const ref = { transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch };
    const errorCode = await ctx.broker.txns.addPartitions(ref, [{ topic: OFFSETS_TOPIC, partition }]);
    return { errorCode: fencedFor(errorCode, ctx.apiVersion, 2) };
  },
});
