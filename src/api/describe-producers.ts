/**
 * DescribeProducers (key 61), v0 (flexible; KIP-664). For each asked
 * partition this node leads, the producers its state knows: producer id
 * and epoch, last sequence (-1 when none), last timestamp, coordinator
 * epoch of its last marker, and the first offset of its open transaction
 * (-1 when none), which is what finds a hanging transaction. A partition
 * that does not exist is UNKNOWN_TOPIC_OR_PARTITION, one led elsewhere
 * NOT_LEADER_OR_FOLLOWER.
 */
import { describeProducersRequestMeta } from '../protocol/generated/describe-producers-request.js';
import { describeProducersResponseMeta, type PartitionResponse } from '../protocol/generated/describe-producers-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: describeProducersRequestMeta,
  response: describeProducersResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const replicas = ctx.broker.replicas;
    return {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex): Input<PartitionResponse> => {
          try {
            const p = replicas.leaderPartition(t.name, partitionIndex);
            return {
              partitionIndex,
              errorCode: 0,
              errorMessage: null,
              activeProducers: [...p.producers.producers.values()].map((e) => ({
                producerId: e.producerId,
                producerEpoch: e.epoch,
                lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
                lastTimestamp: BigInt(e.lastTimestamp),
                coordinatorEpoch: e.coordinatorEpoch,
                currentTxnStartOffset: BigInt(e.currentTxnFirstOffset),
              })),
            };
          } catch (err) {
            return { partitionIndex, errorCode: toErrorCode(err), errorMessage: err instanceof KafkaError ? err.message : null, activeProducers: [] };
          }
        }),
      })),
    };
  },
});
