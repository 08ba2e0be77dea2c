/**
 * WriteTxnMarkers (key 27), v1 (flexible; v0 was removed in Kafka 4.0).
 * Sent by a transaction coordinator to the leader of each partition of a
 * finishing transaction: for every marker, a commit or abort control batch
 * is appended for the producer on each listed partition this node leads.
 *
 * Per partition, as Kafka: UNKNOWN_TOPIC_OR_PARTITION or
 * NOT_LEADER_OR_FOLLOWER when it is not led here; INVALID_PRODUCER_EPOCH
 * for a marker older than the producer's epoch on the partition;
 * TRANSACTION_COORDINATOR_FENCED for one from an older coordinator epoch.
 * A __consumer_offsets partition goes through the group coordinator, which
 * commits or drops the transaction's pending offsets (a group coordinator
 * that is not ready answers NOT_LEADER_OR_FOLLOWER, so the sender retries).
 * Krill's coordinators send it to the leaders of the partitions they do
 * not lead (src/txn/cluster-marker-writer.ts) and write their own
 * partitions' markers in process.
 *
 * Listeners: served where Kafka's schema says ("broker"), i.e. on every
 * broker listener, the inter-broker one included, and never on CONTROLLER
 * listeners. Kafka also requires CLUSTER_ACTION on the cluster; Krill has
 * no authorizer yet, so any client reaching a broker listener may call it.
 */
import { writeTxnMarkersRequestMeta } from '../protocol/generated/write-txn-markers-request.js';
import { writeTxnMarkersResponseMeta, type WritableTxnMarkerResult } from '../protocol/generated/write-txn-markers-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { registerApi } from './registry.js';

registerApi({
  request: writeTxnMarkersRequestMeta,
  response: writeTxnMarkersResponseMeta,
  minVersion: 1,
  maxVersion: 1,
  async handle(ctx, req) {
    const writer = ctx.broker.txnMarkers;
    const markers: Input<WritableTxnMarkerResult>[] = await Promise.all(
      req.markers.map(async (m) => {
        const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult };
        return {
          producerId: m.producerId,
          topics: await Promise.all(
            m.topics.map(async (t) => ({
              name: t.name,
              partitions: await Promise.all(
                t.partitionIndexes.map(async (partitionIndex) => ({ partitionIndex, errorCode: await writer.writeOne(t.name, partitionIndex, marker) })),
              ),
            })),
          ),
        };
      }),
    );
    return { markers };
  },
});
