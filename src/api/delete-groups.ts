/**
 * DeleteGroups (key 42), v0-2. v1 only marks throttling on quota
 * violation, v2 flexible.
 *
 * Deletes Empty groups with their committed offsets (tombstones for both).
 * Per group: GROUP_ID_NOT_FOUND when it does not exist, NON_EMPTY_GROUP
 * while it has members, NOT_COORDINATOR when another node coordinates it.
 */
import { deleteGroupsRequestMeta } from '../protocol/generated/delete-groups-request.js';
import { deleteGroupsResponseMeta } from '../protocol/generated/delete-groups-response.js';
import { toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: deleteGroupsRequestMeta,
  response: deleteGroupsResponseMeta,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const groups = ctx.broker.groups;
    const byPartition = new Map<number, string[]>();
    for (const id of req.groupsNames) {
      const p = groups.partitionFor(id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), id]);
    }
    const codes = new Map<string, number>();
    await Promise.all(
      [...byPartition.values()].map(async (ids) => {
        try {
          const result = await groups.write(ids[0], (shard, op) => shard.deleteGroups(op, ids));
          for (const [id, code] of result) codes.set(id, code);
        } catch (err) {
          for (const id of ids) codes.set(id, toErrorCode(err));
        }
      }),
    );
    const seen = new Set<string>();
    const results = req.groupsNames.filter((id) => !seen.has(id) && seen.add(id)).map((groupId) => ({ groupId, errorCode: codes.get(groupId) ?? 0 }));
    return { results };
  },
});
