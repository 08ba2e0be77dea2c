/**
 * AlterPartition (key 56), v2-3 (v0-1, by topic name, were removed in
 * Kafka 4, KIP-896). A controller API: partition leaders propose ISR
 * changes (KIP-497); v3 carries each new ISR member's broker epoch
 * (KIP-903). Served here by the controller this node reaches, so a
 * leader on another node can be answered once the controller is remote.
 *
 * An unknown broker or a stale broker epoch fails the whole request
 * (STALE_BROKER_EPOCH). Per partition, in Kafka's order:
 * UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER (the
 * request is ahead of this controller), FENCED_LEADER_EPOCH,
 * INVALID_REQUEST (not the leader; ISR not a subset of the replicas or
 * without the leader), INVALID_UPDATE_VERSION (stale partition epoch),
 * INELIGIBLE_REPLICA (a fenced, unregistered or re-registered member),
 * NEW_LEADER_ELECTED (the change completed a reassignment that moved
 * leadership). Success answers the committed leader, epochs and ISR.
 */
import { alterPartitionRequestMeta } from '../protocol/generated/alter-partition-request.js';
import { alterPartitionResponseMeta, type PartitionData } from '../protocol/generated/alter-partition-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: alterPartitionRequestMeta,
  response: alterPartitionResponseMeta,
  minVersion: 2,
  maxVersion: 3,
  async handle(ctx, req) {
    const broker = ctx.broker.image().brokers.get(req.brokerId);
    if (!broker || broker.epoch !== req.brokerEpoch) return { throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] };
    const topics = [];
    for (const t of req.topics) {
      const partitions: Input<PartitionData>[] = [];
      for (const pd of t.partitions) {
        const newIsr = ctx.apiVersion >= 3 ? pd.newIsrWithEpochs : pd.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1n }));
        const r = await ctx.broker.controller.alterPartition(req.brokerId, req.brokerEpoch, t.topicId, pd.partitionIndex, pd.leaderEpoch, newIsr, pd.partitionEpoch, ctx.apiVersion);
        if (r.errorCode === ErrorCode.STALE_BROKER_EPOCH) return { throttleTimeMs: 0, errorCode: r.errorCode, topics: [] };
        partitions.push({ partitionIndex: pd.partitionIndex, errorCode: r.errorCode, leaderId: r.leaderId, leaderEpoch: r.leaderEpoch, isr: [...r.isr], leaderRecoveryState: 0, partitionEpoch: r.partitionEpoch });
      }
      topics.push({ topicId: t.topicId, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics };
  },
});
