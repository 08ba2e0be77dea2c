/**
 * FindCoordinator (key 10), v0-6. v1 adds the key type and an error
 * message, v3 is flexible, v4+ batches coordinator keys (KIP-699): one
 * answer per key. v6 allows the SHARE key type (KIP-932).
 *
 * GROUP keys: the coordinator is the leader of the group's
 * __consumer_offsets partition, abs(hashCode(groupId)) % partitions as in
 * Kafka. Like Kafka, the first lookup creates __consumer_offsets (Kafka
 * then answers COORDINATOR_NOT_AVAILABLE and lets the client retry; Krill
 * waits for the creation to commit and answers at once). A partition
 * without a live leader is COORDINATOR_NOT_AVAILABLE.
 *
 * TRANSACTION keys (KIP-98): the coordinator is the leader of the
 * transactional id's __transaction_state partition, abs(hashCode(id)) %
 * transaction.state.log.num.partitions, the topic created (compacted) on
 * first use in the same way. SHARE coordinators do not exist yet
 * (COORDINATOR_NOT_AVAILABLE); other key types are INVALID_REQUEST.
 */
import { findCoordinatorRequestMeta } from '../protocol/generated/find-coordinator-request.js';
import { findCoordinatorResponseMeta, type Coordinator, type FindCoordinatorResponse } from '../protocol/generated/find-coordinator-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { OFFSETS_TOPIC } from '../group/group-records.js';
import { offsetsTopicSpec } from '../group/group-coordinator.js';
import { TRANSACTION_STATE_TOPIC, txnTopicSpec } from '../txn/txn-topic.js';
import type { RequestContext } from './context.js';
import { endpointOf } from './endpoints.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

const GROUP = 0;
const TRANSACTION = 1;
const SHARE = 2;

type Answer = Omit<Input<Coordinator>, 'key'>;

const failure = (errorCode: number, errorMessage: string | null): Answer => ({ errorCode, errorMessage, nodeId: -1, host: '', port: -1 });

registerApi({
  request: findCoordinatorRequestMeta,
  response: findCoordinatorResponseMeta,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req): Promise<Input<FindCoordinatorResponse>> {
    const keyType = ctx.apiVersion >= 1 ? req.keyType : GROUP;
    if (ctx.apiVersion >= 4) {
      const coordinators: Input<Coordinator>[] = [];
      for (const key of req.coordinatorKeys) coordinators.push({ key, ...(await findOne(ctx, key, keyType)) });
      return { coordinators };
    }
    return findOne(ctx, req.key, keyType);
  },
});

async function findOne(ctx: RequestContext, key: string, keyType: number): Promise<Answer> {
  if (keyType === SHARE) return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'share coordinators are not supported by this broker yet');
  if (keyType !== GROUP && keyType !== TRANSACTION) return failure(ErrorCode.INVALID_REQUEST, `Unknown coordinator type: ${keyType}`);
  const broker = ctx.broker;
  const topic = keyType === GROUP ? OFFSETS_TOPIC : TRANSACTION_STATE_TOPIC;
  if (!broker.image().topic(topic)) {
    const live = broker.image().liveBrokers().length;
    const spec = keyType === GROUP ? offsetsTopicSpec(broker.groups.config, live) : txnTopicSpec(broker.txns.config, live);
    const [result] = await broker.controller.createTopics([spec], false);
    if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
      broker.log.warn({ errorCode: result.errorCode, message: result.errorMessage }, `creating ${topic} failed`);
      return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
    }
  }
  const image = broker.image();
  const index = keyType === GROUP ? broker.groups.partitionFor(key) : broker.txns.partitionFor(key);
  const partition = image.partition(topic, index);
  const leader = partition && partition.leader >= 0 ? image.brokers.get(partition.leader) : undefined;
  const endpoint = leader && !leader.fenced ? endpointOf(leader, ctx.listenerName) : undefined;
  if (!endpoint) return failure(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
  return { errorCode: ErrorCode.NONE, errorMessage: null, nodeId: endpoint.nodeId, host: endpoint.host, port: endpoint.port };
}
