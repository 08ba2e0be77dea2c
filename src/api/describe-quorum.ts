/**
 * DescribeQuorum (key 55), v0-2 (KIP-595; v1 adds fetch and caught-up
 * timestamps, KIP-836; v2 node endpoints, KIP-853). Served on client and
 * CONTROLLER listeners. The leader answers from its Raft status: epoch,
 * high watermark, and each voter's and observer's log end offset and last
 * fetch. Another node that knows the leader forwards the request to it;
 * otherwise the partition carries NOT_LEADER_OR_FOLLOWER. Anything but
 * __cluster_metadata partition 0 is UNKNOWN_TOPIC_OR_PARTITION.
 */
import { describeQuorumRequestMeta } from '../protocol/generated/describe-quorum-request.js';
import { describeQuorumResponseMeta } from '../protocol/generated/describe-quorum-response.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

const METADATA_TOPIC = '__cluster_metadata';
/** One try at the leader: a dead leader must not hold the answer up. */
const FORWARD_DEADLINE_MS = 1000;

registerApi({
  request: describeQuorumRequestMeta,
  response: describeQuorumResponseMeta,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const t = req.topics[0];
    if (req.topics.length !== 1 || t?.topicName !== METADATA_TOPIC || t.partitions.length !== 1 || t.partitions[0]!.partitionIndex !== 0) {
      // As KRaft: every partition asked for answers UNKNOWN_TOPIC_OR_PARTITION.
      return {
        errorCode: 0,
        topics: req.topics.map((x) => ({
          topicName: x.topicName,
          partitions: x.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderId: -1, leaderEpoch: -1, highWatermark: -1n })),
        })),
      };
    }
    const controller = ctx.broker.controller;
    if (!controller.quorum.isLeader() && controller.leaderId >= 0 && controller.membership.addresses.has(controller.leaderId)) {
      try {
        return await controller.sendToController(55, ctx.apiVersion, req, (r) => r.topics[0]?.partitions[0]?.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER, FORWARD_DEADLINE_MS);
      } catch {
        // fall through to this node's own answer
      }
    }
    return controller.quorum.transport.describeQuorum();
  },
});
