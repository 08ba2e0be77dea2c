/**
 * SyncGroup (key 14), v0-5. v1 adds throttle time, v3 group.instance.id
 * (KIP-345), v4 flexible, v5 the protocol type and name in request and
 * response (KIP-559): both are then mandatory (INCONSISTENT_GROUP_PROTOCOL
 * when missing, or when they differ from the group's).
 *
 * The leader sends every member's assignment; the request waits until the
 * group's record with that assignment is durable, then every member gets
 * its own (classic-membership.ts).
 */
import { syncGroupRequestMeta } from '../protocol/generated/sync-group-request.js';
import { syncGroupResponseMeta } from '../protocol/generated/sync-group-response.js';
import type { SyncResponse } from '../group/classic-member.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: syncGroupRequestMeta,
  response: syncGroupResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const fail = (errorCode: number): SyncResponse => ({ errorCode, protocolType: null, protocolName: null });
    if (req.groupId === '') return fail(ErrorCode.INVALID_GROUP_ID);
    if (ctx.apiVersion >= 5 && (req.protocolType === null || req.protocolName === null)) return fail(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    return ctx.broker.groups.parked<SyncResponse>(req.groupId, (shard, op, reply) => shard.sync(op, req, reply), fail);
  },
});
