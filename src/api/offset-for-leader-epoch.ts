/**
 * OffsetForLeaderEpoch (key 23), v2-4 (v0-1 were removed in Kafka 4,
 * KIP-896). v3+ carries the replica id, v4 is flexible.
 *
 * For each partition led here: the largest leader epoch <= the one asked
 * for and the offset where it ended (the start of the next epoch, or the
 * log end for the latest), from the leader epoch cache (KIP-101, KIP-279).
 * Followers use it to find where their log diverged before fetching from a
 * new leader; consumers use it to detect log truncation (KIP-320). An
 * epoch older than the cache answers the start of the first later epoch;
 * one newer than anything answers (-1, -1). Errors per partition:
 * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH /
 * UNKNOWN_LEADER_EPOCH for a stale or future current_leader_epoch.
 */
import { offsetForLeaderEpochRequestMeta } from '../protocol/generated/offset-for-leader-epoch-request.js';
import { offsetForLeaderEpochResponseMeta, type EpochEndOffset } from '../protocol/generated/offset-for-leader-epoch-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode, KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: offsetForLeaderEpochRequestMeta,
  response: offsetForLeaderEpochResponseMeta,
  minVersion: 2,
  maxVersion: 4,
  handle(ctx, req) {
    const image = ctx.broker.image();
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp): Input<EpochEndOffset> => {
          try {
            if (!image.partition(t.topic, rp.partition)) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION');
            const end = ctx.broker.replicas.endOffsetForEpoch(t.topic, rp.partition, rp.currentLeaderEpoch, rp.leaderEpoch);
            return { errorCode: ErrorCode.NONE, partition: rp.partition, leaderEpoch: end.epoch, endOffset: BigInt(end.endOffset) };
          } catch (err) {
            if (!(err instanceof KafkaError)) ctx.broker.log.error({ err, topic: t.topic, partition: rp.partition }, 'OffsetForLeaderEpoch failed');
            return { errorCode: toErrorCode(err), partition: rp.partition, leaderEpoch: -1, endOffset: -1n };
          }
        }),
      })),
    };
  },
});
