/**
 * ElectLeaders (key 43), v0-2 (KIP-460). v0 elects preferred leaders
 * only; v1 adds election_type (0 preferred, 1 unclean) and a top-level
 * error code; v2 is flexible.
 *
 * Preferred: the first replica becomes leader when it is live and in the
 * ISR (ELECTION_NOT_NEEDED if it leads already,
 * PREFERRED_LEADER_NOT_AVAILABLE otherwise). Unclean: only partitions
 * without a live leader, from any live replica
 * (ELIGIBLE_LEADERS_NOT_AVAILABLE without one). A null partition list
 * means every partition, and the answer then leaves out those needing no
 * election, as Kafka does. Unknown partitions: UNKNOWN_TOPIC_OR_PARTITION.
 */
import { electLeadersRequestMeta } from '../protocol/generated/elect-leaders-request.js';
import { electLeadersResponseMeta } from '../protocol/generated/elect-leaders-response.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: electLeadersRequestMeta,
  response: electLeadersResponseMeta,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const type = ctx.apiVersion >= 1 ? req.electionType : 0;
    if (type !== 0 && type !== 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    if (req.topicPartitions !== null && req.topicPartitions.length === 0) return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: [] };
    const results = await ctx.broker.controller.electLeaders(type === 0 ? 'preferred' : 'unclean', req.topicPartitions?.map((t) => ({ topic: t.topic, partitions: t.partitions })) ?? null);
    const byTopic = new Map<string, Array<{ partitionId: number; errorCode: number; errorMessage: string | null }>>();
    for (const t of req.topicPartitions ?? []) byTopic.set(t.topic, []);
    for (const r of results) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
      byTopic.set(r.topic, list);
    }
    return { throttleTimeMs: 0, errorCode: 0, replicaElectionResults: [...byTopic].map(([topic, partitionResult]) => ({ topic, partitionResult })) };
  },
});
