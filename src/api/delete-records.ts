/**
 * DeleteRecords (key 21), v0-2 (v2 flexible). Moves a partition's log start
 * offset forward: offset -1 means the high watermark; an offset above the
 * high watermark (or below -1) is OFFSET_OUT_OF_RANGE; one at or below the
 * current log start changes nothing. Fetches below the new start then get
 * OFFSET_OUT_OF_RANGE and ListOffsets earliest returns it; segments wholly
 * below it are deleted (their files linger as `.deleted` for
 * file.delete.delay.ms). The answer's low watermark is the log start offset
 * after the call (the leader's: with one replica that is the partition's).
 * As in Kafka, a topic whose cleanup.policy lacks `delete` answers
 * POLICY_VIOLATION, and internal topics INVALID_TOPIC_EXCEPTION. timeoutMs
 * bounds the wait for followers, which a single replica does not need.
 */
import { deleteRecordsRequestMeta } from '../protocol/generated/delete-records-request.js';
import { deleteRecordsResponseMeta, type DeleteRecordsPartitionResult } from '../protocol/generated/delete-records-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { LogError } from '../log/errors.js';
import type { RequestContext } from './context.js';
import { ErrorCode, KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

const HIGH_WATERMARK = -1n;
const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

async function deleteBefore(ctx: RequestContext, topic: string, partitionIndex: number, requested: bigint): Promise<number> {
  if (INTERNAL_TOPICS.has(topic)) throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Cannot delete records of internal topic ${topic}`);
  const p = ctx.broker.replicas.leaderPartition(topic, partitionIndex);
  if (!p.log.config.cleanupPolicy.delete) {
    throw new KafkaError('POLICY_VIOLATION', `Records of partition ${topic}-${partitionIndex} can not be deleted due to the configured policy`);
  }
  const hw = p.highWatermark;
  const offset = requested === HIGH_WATERMARK ? hw : Number(requested);
  if (requested < HIGH_WATERMARK || offset > hw) {
    throw new KafkaError('OFFSET_OUT_OF_RANGE', `Cannot increment the log start offset to ${requested} of partition ${topic}-${partitionIndex} since it is larger than the high watermark ${hw}`);
  }
  await p.log.deleteRecordsBefore(offset);
  return p.log.logStartOffset;
}

function errorCodeOf(err: unknown): number {
  return err instanceof LogError ? ErrorCode[err.kafkaError] : toErrorCode(err);
}

registerApi({
  request: deleteRecordsRequestMeta,
  response: deleteRecordsResponseMeta,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (rp): Promise<Input<DeleteRecordsPartitionResult>> => {
            try {
              const lowWatermark = await deleteBefore(ctx, t.name, rp.partitionIndex, rp.offset);
              return { partitionIndex: rp.partitionIndex, lowWatermark: BigInt(lowWatermark), errorCode: 0 };
            } catch (err) {
              const errorCode = errorCodeOf(err);
              if (errorCode === ErrorCode.UNKNOWN_SERVER_ERROR) ctx.broker.log.error({ err, topic: t.name, partition: rp.partitionIndex }, 'delete records failed');
              return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode };
            }
          }),
        ),
      })),
    );
    return { throttleTimeMs: 0, topics };
  },
});
