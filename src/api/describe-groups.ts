/**
 * DescribeGroups (key 15), v0-5. v1 adds throttle time, v3 authorized
 * operations (KIP-430), v4 group.instance.id of members (KIP-345), v5
 * flexible.
 *
 * A group that does not exist is described as Dead with no error (only
 * v6, not served yet, answers GROUP_ID_NOT_FOUND). Only a Stable group
 * shows its protocol and the members' metadata and assignments, as in
 * Kafka. Without an authorizer every group operation is allowed.
 */
import { describeGroupsRequestMeta } from '../protocol/generated/describe-groups-request.js';
import { describeGroupsResponseMeta, type DescribedGroup } from '../protocol/generated/describe-groups-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

/** Group operations: READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (AclOperation codes). */
const ALL_GROUP_OPS = [3, 6, 8, 10, 11].reduce((m, b) => m | (1 << b), 0);
const OPS_NOT_REQUESTED = -2147483648;

registerApi({
  request: describeGroupsRequestMeta,
  response: describeGroupsResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const ops = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? ALL_GROUP_OPS : OPS_NOT_REQUESTED;
    const groups: Input<DescribedGroup>[] = req.groups.map((groupId) => {
      try {
        return { ...ctx.broker.groups.read(groupId, (shard) => shard.describeGroup(groupId)), authorizedOperations: ops };
      } catch (err) {
        return { groupId, errorCode: toErrorCode(err), groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: ops };
      }
    });
    return { groups };
  },
});
