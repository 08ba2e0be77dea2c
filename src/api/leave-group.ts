/**
 * LeaveGroup (key 13), v0-5. v0-2 name one member (errors at the top
 * level); v3 takes a batch of members by member id and/or
 * group.instance.id (KIP-345: an instance id with an empty member id
 * removes a static member administratively), each answered with its own
 * error; v4 flexible; v5 a reason per member (KIP-800).
 *
 * Leaving members are removed and the group rebalances without them; a
 * group that does not exist answers UNKNOWN_MEMBER_ID for each member.
 */
import { leaveGroupRequestMeta, type MemberIdentity } from '../protocol/generated/leave-group-request.js';
import { leaveGroupResponseMeta } from '../protocol/generated/leave-group-response.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: leaveGroupRequestMeta,
  response: leaveGroupResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const batched = ctx.apiVersion >= 3;
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const leaving: MemberIdentity[] = batched ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
    let result;
    try {
      result = await ctx.broker.groups.write(req.groupId, (shard, op) => shard.leave(op, req.groupId, leaving));
    } catch (err) {
      return { errorCode: toErrorCode(err), members: [] };
    }
    if (batched) return result;
    return { errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : (result.members[0]?.errorCode ?? ErrorCode.NONE) };
  },
});
