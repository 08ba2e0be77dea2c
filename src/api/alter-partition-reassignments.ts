/**
 * AlterPartitionReassignments (key 45), v0 (KIP-455). For each partition a
 * target replica list starts (or replaces) a move; null cancels the
 * ongoing one. New replicas join as followers and the move completes when
 * they are all in the ISR; leaving replicas then stop and delete their
 * logs (see src/replication/reassignment.ts). Errors per partition:
 * UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT (empty, duplicate
 * or unregistered brokers), NO_REASSIGNMENT_IN_PROGRESS (cancel without
 * a move).
 */
import { alterPartitionReassignmentsRequestMeta } from '../protocol/generated/alter-partition-reassignments-request.js';
import { alterPartitionReassignmentsResponseMeta } from '../protocol/generated/alter-partition-reassignments-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: alterPartitionReassignmentsRequestMeta,
  response: alterPartitionReassignmentsResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const results = await ctx.broker.controller.alterPartitionReassignments(
      req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas }))),
    );
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      responses: req.topics.map((t) => ({
        name: t.name,
        partitions: results.filter((r) => r.topic === t.name).map((r) => ({ partitionIndex: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage })),
      })),
    };
  },
});
