/**
 * EndTxn (key 26), v0-4. v2 adds PRODUCER_FENCED (older versions get
 * INVALID_PRODUCER_EPOCH), v3 is flexible, v4 allows TRANSACTION_ABORTABLE.
 * v5 (KIP-890 part 2, an epoch bump per transaction) belongs to
 * transaction version 2, which Krill does not offer, so it is not
 * advertised and clients stay on v4.
 *
 * Commits or aborts the producer's Ongoing transaction: the answer comes
 * once PrepareCommit/PrepareAbort is durable in __transaction_state; the
 * markers are written to the transaction's partitions after it. Repeating
 * the same decision after it completed is NONE, while it completes
 * CONCURRENT_TRANSACTIONS; the opposite decision, or ending a transaction
 * that never started, is INVALID_TXN_STATE; a wrong producer id
 * INVALID_PRODUCER_ID_MAPPING, an old epoch PRODUCER_FENCED.
 */
import { endTxnRequestMeta } from '../protocol/generated/end-txn-request.js';
import { endTxnResponseMeta } from '../protocol/generated/end-txn-response.js';
import { fencedFor } from '../txn/txn-errors.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: endTxnRequestMeta,
  response: endTxnResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    if (req.transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST };
    const ref = { transactionalId: req.transactionalId, producerId: req.producerId, producerEpoch: req.producerEpoch };
    const errorCode = await ctx.broker.txns.endTxn(ref, req.committed);
    return { errorCode: fencedFor(errorCode, ctx.apiVersion, 2) };
  },
});
