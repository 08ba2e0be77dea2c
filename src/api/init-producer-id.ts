/**
 * InitProducerId (key 22), v0-5. v2 is flexible, v3 adds the producer id
 * and epoch the client had (KIP-360: resume after an error with the same
 * id), v4 the PRODUCER_FENCED error (older versions get
 * INVALID_PRODUCER_EPOCH instead), v5 TRANSACTION_ABORTABLE (never
 * answered here: no transaction version 2).
 *
 * Without a transactional id (an idempotent producer) the answer is a
 * fresh producer id at epoch 0, as Kafka does even when the client offers
 * its old id and epoch. Ids come from controller-committed blocks, so they
 * never repeat.
 *
 * With a transactional id the transaction coordinator answers: an empty id
 * is INVALID_REQUEST, a timeout outside (0, transaction.max.timeout.ms] is
 * INVALID_TRANSACTION_TIMEOUT, an id and epoch of which only one is -1 is
 * INVALID_REQUEST. The first call maps the id to a producer id at epoch 0;
 * each later call bumps the epoch, fencing the previous producer; an open
 * transaction is aborted first (CONCURRENT_TRANSACTIONS, the client
 * retries); a finishing one is CONCURRENT_TRANSACTIONS. See
 * src/txn/txn-shard.ts.
 */
import { initProducerIdRequestMeta } from '../protocol/generated/init-producer-id-request.js';
import { initProducerIdResponseMeta } from '../protocol/generated/init-producer-id-response.js';
import { fencedFor } from '../txn/txn-errors.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

const fail = (errorCode: number): { errorCode: number; producerId: bigint; producerEpoch: number } => ({ errorCode, producerId: -1n, producerEpoch: -1 });

registerApi({
  request: initProducerIdRequestMeta,
  response: initProducerIdResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const txnId = req.transactionalId;
    if (txnId === null) {
      try {
        const producerId = await ctx.broker.producerIds.generate();
        return { errorCode: 0, producerId, producerEpoch: 0 };
      } catch (err) {
        ctx.broker.log.error({ err }, 'allocating a producer id failed');
        return fail(toErrorCode(err));
      }
    }
    const producerId = ctx.apiVersion >= 3 ? req.producerId : -1n;
    const producerEpoch = ctx.apiVersion >= 3 ? req.producerEpoch : -1;
    if (txnId === '' || (producerId === -1n) !== (producerEpoch === -1)) return fail(ErrorCode.INVALID_REQUEST);
    const txns = ctx.broker.txns;
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > txns.config.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    const r = await txns.initProducerId({
      transactionalId: txnId,
      txnTimeoutMs: req.transactionTimeoutMs,
      expected: producerId === -1n ? null : { producerId, producerEpoch },
    });
    return { ...r, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 4) };
  },
});
