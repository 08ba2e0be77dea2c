/**
 * Heartbeat (key 12), v0-4. v1 adds throttle time, v3 group.instance.id
 * (KIP-345), v4 flexible.
 *
 * Keeps a member's session alive. REBALANCE_IN_PROGRESS tells the member
 * to rejoin; UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID and ILLEGAL_GENERATION
 * fence it. While the coordinator partition loads Kafka answers NONE
 * blindly, and so does Krill.
 */
import { heartbeatRequestMeta } from '../protocol/generated/heartbeat-request.js';
import { heartbeatResponseMeta } from '../protocol/generated/heartbeat-response.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: heartbeatRequestMeta,
  response: heartbeatResponseMeta,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID };
    try {
      return { errorCode: await ctx.broker.groups.write(req.groupId, (shard, op) => shard.heartbeat(op, req)) };
    } catch (err) {
      const errorCode = toErrorCode(err);
      return { errorCode: errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ? ErrorCode.NONE : errorCode };
    }
  },
});
