/**
 * ListGroups (key 16), v0-5. v1 adds throttle time, v3 flexible, v4 a
 * states filter and the state of each group (KIP-518), v5 a types filter
 * and the type of each group (KIP-848: every group here is "classic").
 * Filters match case-insensitively; an empty filter matches all.
 *
 * Lists the groups of every __consumer_offsets partition this node
 * coordinates; COORDINATOR_LOAD_IN_PROGRESS while one is still loading.
 */
import { listGroupsRequestMeta } from '../protocol/generated/list-groups-request.js';
import { listGroupsResponseMeta, type ListedGroup } from '../protocol/generated/list-groups-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: listGroupsRequestMeta,
  response: listGroupsResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    const groups = ctx.broker.groups;
    if (groups.loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = ctx.apiVersion >= 4 ? req.statesFilter : [];
    const types = ctx.apiVersion >= 5 ? req.typesFilter : [];
    const listed: Input<ListedGroup>[] = [];
    for (const shard of groups.activeShards()) listed.push(...shard.listGroups(states, types));
    return { errorCode: ErrorCode.NONE, groups: listed };
  },
});
