/**
 * InitProducerId (key 22), v0-5. Without a transactional id (an idempotent
 * producer) the answer is a fresh producer id at epoch 0, as Kafka does even
 * when the client offers its old id and epoch (KIP-360). Ids come from
 * controller-committed blocks, so they never repeat. Transactional ids need
 * the transaction coordinator (not built yet): such requests get
 * INVALID_REQUEST with a message saying so.
 */
import { initProducerIdRequestMeta } from '../protocol/generated/init-producer-id-request.js';
import { initProducerIdResponseMeta } from '../protocol/generated/init-producer-id-response.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: initProducerIdRequestMeta,
  response: initProducerIdResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      ctx.broker.log.warn({ transactionalId: req.transactionalId }, 'transactional producers are not supported yet; refusing InitProducerId');
      return { errorCode: ErrorCode.INVALID_REQUEST, producerId: -1n, producerEpoch: -1 };
    }
    try {
      const producerId = await ctx.broker.producerIds.generate();
      return { errorCode: 0, producerId, producerEpoch: 0 };
    } catch (err) {
      ctx.broker.log.error({ err }, 'allocating a producer id failed');
      return { errorCode: toErrorCode(err), producerId: -1n, producerEpoch: -1 };
    }
  },
});
