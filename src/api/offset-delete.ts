/**
 * OffsetDelete (key 47), v0 (KIP-496): deletes a group's committed offsets
 * for some partitions.
 *
 * GROUP_ID_NOT_FOUND for a group that does not exist; NON_EMPTY_GROUP for
 * a group with members that does not use the consumer protocol;
 * GROUP_SUBSCRIBED_TO_TOPIC for partitions of topics the members still
 * subscribe to; UNKNOWN_TOPIC_OR_PARTITION for partitions that do not
 * exist. Deleted offsets are written as tombstones.
 */
import { offsetDeleteRequestMeta, type OffsetDeleteRequestTopic } from '../protocol/generated/offset-delete-request.js';
import { offsetDeleteResponseMeta, type OffsetDeleteResponseTopic } from '../protocol/generated/offset-delete-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: offsetDeleteRequestMeta,
  response: offsetDeleteResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    if (req.groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
    const image = ctx.broker.image();
    const known: OffsetDeleteRequestTopic[] = [];
    const unknown: Input<OffsetDeleteResponseTopic>[] = [];
    for (const t of req.topics) {
      const ti = image.topic(t.name);
      const exists = t.partitions.filter((p) => ti !== undefined && p.partitionIndex >= 0 && p.partitionIndex < ti.partitions.length);
      const missing = t.partitions.filter((p) => !exists.includes(p));
      if (exists.length > 0) known.push({ name: t.name, partitions: exists });
      if (missing.length > 0) {
        unknown.push({ name: t.name, partitions: missing.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION })) });
      }
    }
    try {
      const topics = await ctx.broker.groups.write(req.groupId, (shard, op) => shard.deleteOffsets(op, req.groupId, known));
      return { errorCode: ErrorCode.NONE, topics: [...topics, ...unknown] };
    } catch (err) {
      return { errorCode: toErrorCode(err), topics: [] };
    }
  },
});
