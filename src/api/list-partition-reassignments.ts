/**
 * ListPartitionReassignments (key 46), v0 (KIP-455): the ongoing
 * reassignments of the named partitions (or of all partitions when topics
 * is null): their replica set during the move and the replicas being
 * added and removed. Partitions not moving, and unknown ones, are left out.
 */
import { listPartitionReassignmentsRequestMeta } from '../protocol/generated/list-partition-reassignments-request.js';
import { listPartitionReassignmentsResponseMeta } from '../protocol/generated/list-partition-reassignments-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: listPartitionReassignmentsRequestMeta,
  response: listPartitionReassignmentsResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const ongoing = ctx.broker.controller.listPartitionReassignments(req.topics?.map((t) => ({ topic: t.name, partitions: t.partitionIndexes })) ?? null);
    const topics = new Map<string, Array<{ partitionIndex: number; replicas: number[]; addingReplicas: number[]; removingReplicas: number[] }>>();
    for (const o of ongoing) {
      topics.set(o.topic, [...(topics.get(o.topic) ?? []), { partitionIndex: o.partition, replicas: o.replicas, addingReplicas: o.addingReplicas, removingReplicas: o.removingReplicas }]);
    }
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, topics: [...topics].map(([name, partitions]) => ({ name, partitions })) };
  },
});
