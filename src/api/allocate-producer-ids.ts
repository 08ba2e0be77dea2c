/**
 * AllocateProducerIds (key 67), v0 (KIP-730). Served on CONTROLLER
 * listeners only, by the active controller (NOT_CONTROLLER elsewhere): a
 * broker that is not the controller gets its next block of producer ids
 * here; the block is committed as a ProducerIdsRecord first, so ids never
 * repeat. STALE_BROKER_EPOCH for an unknown broker or epoch.
 */
import { allocateProducerIdsRequestMeta } from '../protocol/generated/allocate-producer-ids-request.js';
import { allocateProducerIdsResponseMeta } from '../protocol/generated/allocate-producer-ids-response.js';
import { PRODUCER_ID_BLOCK_SIZE } from '../txn/producer-id-manager.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: allocateProducerIdsRequestMeta,
  response: allocateProducerIdsResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  listeners: ['controller'],
  async handle(ctx, req) {
    const controller = ctx.broker.controller;
    const broker = controller.image().brokers.get(req.brokerId);
    if (controller.isActive() && (!broker || broker.epoch !== req.brokerEpoch)) {
      return { errorCode: ErrorCode.STALE_BROKER_EPOCH, producerIdStart: -1n, producerIdLen: 0 };
    }
    try {
      const block = await controller.allocateProducerIdsAtController(req.brokerId, PRODUCER_ID_BLOCK_SIZE);
      return { errorCode: 0, producerIdStart: block.start, producerIdLen: block.length };
    } catch (err) {
      return { errorCode: toErrorCode(err), producerIdStart: -1n, producerIdLen: 0 };
    }
  },
});
