/**
 * OffsetCommit (key 8), v2-9 (the Kafka 4.0 floor is v2). v2-4 carry a
 * retention time (-1: the broker's offsets.retention.minutes), v3 throttle
 * time, v5 drops the retention time, v6 adds the committed leader epoch,
 * v7 group.instance.id (KIP-345), v8 flexible, v9 the KIP-848 member epoch
 * in the generation field (GROUP_ID_NOT_FOUND for a group that does not
 * exist, where v0-8 answer ILLEGAL_GENERATION).
 *
 * Commits with generation -1 and no member id come from standalone
 * consumers and create the group if needed. Each partition gets its own
 * error: UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist,
 * OFFSET_METADATA_TOO_LARGE above offset.metadata.max.bytes; a request-wide
 * failure (fencing, coordinator errors, a failed write) is reported on
 * every partition. The answer waits until the commit is durable.
 */
import { offsetCommitRequestMeta } from '../protocol/generated/offset-commit-request.js';
import { offsetCommitResponseMeta, type OffsetCommitResponseTopic } from '../protocol/generated/offset-commit-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: offsetCommitRequestMeta,
  response: offsetCommitResponseMeta,
  minVersion: 2,
  maxVersion: 9,
  async handle(ctx, req) {
    const everywhere = (errorCode: number): Input<OffsetCommitResponseTopic>[] =>
      req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) }));
    if (req.groupId === '') return { topics: everywhere(ErrorCode.INVALID_GROUP_ID) };
    const image = ctx.broker.image();
    const partitionExists = (topic: string, partition: number): boolean => image.partition(topic, partition) !== undefined;
    const input = { request: req, apiVersion: ctx.apiVersion, partitionExists };
    try {
      return { topics: await ctx.broker.groups.write(req.groupId, (shard, op) => shard.commitOffsets(op, input), true) };
    } catch (err) {
      return { topics: everywhere(toErrorCode(err)) };
    }
  },
});
