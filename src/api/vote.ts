/**
 * Vote (key 52), v0-1 (KIP-595; v1 adds voter and directory ids, KIP-853).
 * Served on CONTROLLER listeners only. A candidate (or pre-candidate:
 * Krill's PreVote tagged field, see controller/raft-wire.ts) asks for this
 * node's vote; the answer leaves only once the vote is durable in
 * quorum-state. INCONSISTENT_CLUSTER_ID for another cluster's candidate.
 */
import { voteRequestMeta } from '../protocol/generated/vote-request.js';
import { voteResponseMeta } from '../protocol/generated/vote-response.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: voteRequestMeta,
  response: voteResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  listeners: ['controller'],
  async handle(ctx, req) {
    const transport = ctx.broker.controller.quorum.transport;
    if (!ctx.broker.controller.membership.isVoter) return { errorCode: ErrorCode.INCONSISTENT_VOTER_SET, topics: [] };
    return transport.handleVote(req);
  },
});
