/**
 * BrokerHeartbeat (key 63), v0-1 (KIP-631). Served on CONTROLLER listeners
 * only, answered by the active controller (NOT_CONTROLLER elsewhere). Keeps
 * the broker's session (broker.session.timeout.ms); unfences a caught-up
 * broker (CurrentMetadataOffset at or past its registration); WantShutDown
 * moves leadership away and answers ShouldShutDown (controlled shutdown).
 * STALE_BROKER_EPOCH for an epoch that is not the broker's registration.
 */
import { brokerHeartbeatRequestMeta } from '../protocol/generated/broker-heartbeat-request.js';
import { brokerHeartbeatResponseMeta } from '../protocol/generated/broker-heartbeat-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: brokerHeartbeatRequestMeta,
  response: brokerHeartbeatResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  listeners: ['controller'],
  async handle(ctx, req) {
    const r = await ctx.broker.controller.brokerHeartbeat({
      brokerId: req.brokerId,
      brokerEpoch: req.brokerEpoch,
      currentMetadataOffset: req.currentMetadataOffset,
      wantFence: req.wantFence,
      wantShutDown: req.wantShutDown,
    });
    return { errorCode: r.errorCode, isCaughtUp: r.isCaughtUp, isFenced: r.isFenced, shouldShutDown: r.shouldShutDown };
  },
});
