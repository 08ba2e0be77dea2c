/**
 * BeginQuorumEpoch (key 53), v0-1 (KIP-595; v1 flexible, with leader
 * endpoints, KIP-853). Served on CONTROLLER listeners only. A newly elected
 * leader announces its epoch to the voters, which then follow it (and fetch
 * from it) without waiting for their election timeout.
 * FENCED_LEADER_EPOCH for an epoch older than this node's.
 */
import { beginQuorumEpochRequestMeta } from '../protocol/generated/begin-quorum-epoch-request.js';
import { beginQuorumEpochResponseMeta } from '../protocol/generated/begin-quorum-epoch-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: beginQuorumEpochRequestMeta,
  response: beginQuorumEpochResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  listeners: ['controller'],
  handle(ctx, req) {
    return ctx.broker.controller.quorum.transport.handleBeginQuorumEpoch(req);
  },
});
