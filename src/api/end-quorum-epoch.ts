/**
 * EndQuorumEpoch (key 54), v0-1 (KIP-595; v1 names preferred candidates
 * with directory ids, KIP-853). Served on CONTROLLER listeners only. A
 * leader giving up leadership (shutdown, transfer) tells the voters; the
 * first preferred successor campaigns at once.
 */
import { endQuorumEpochRequestMeta } from '../protocol/generated/end-quorum-epoch-request.js';
import { endQuorumEpochResponseMeta } from '../protocol/generated/end-quorum-epoch-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: endQuorumEpochRequestMeta,
  response: endQuorumEpochResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  listeners: ['controller'],
  handle(ctx, req) {
    return ctx.broker.controller.quorum.transport.handleEndQuorumEpoch(req);
  },
});
