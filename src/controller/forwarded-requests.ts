/**
 * The Kafka requests a node sends to the active controller for changes it
 * cannot make itself, built from the controller's method arguments, and the
 * answers mapped back to the methods' results. Versions are the newest Krill
 * serves, so the controller's own handlers answer them.
 */
import { ErrorCode, type ErrorName } from '../api/error-codes.js';
import type { CreateTopicsResponse } from '../protocol/generated/create-topics-response.js';
import type { CreateTopicsRequest } from '../protocol/generated/create-topics-request.js';
import type { DeleteTopicsRequest } from '../protocol/generated/delete-topics-request.js';
import type { DeleteTopicsResponse } from '../protocol/generated/delete-topics-response.js';
import type { CreatePartitionsRequest } from '../protocol/generated/create-partitions-request.js';
import type { CreatePartitionsResponse } from '../protocol/generated/create-partitions-response.js';
import type { AlterConfigsRequest } from '../protocol/generated/alter-configs-request.js';
import type { AlterConfigsResourceResponse } from '../protocol/generated/alter-configs-response.js';
import type { IncrementalAlterConfigsRequest } from '../protocol/generated/incremental-alter-configs-request.js';
import type { BrokerRegistrationRequest } from '../protocol/generated/broker-registration-request.js';
import type { Input } from '../protocol/primitives/index.js';
import type { CreateTopicRequest, TopicResult, TopicConfigChange, ConfigChangeResult, ConfigOp } from './controller-types.js';
import type { BrokerRegistrationInput } from './broker-control.js';
import { TOPIC_RESOURCE } from './metadata-image.js';

export { allNotController } from './controller-forwarder.js';

export const CREATE_TOPICS_VERSION = 7;
export const DELETE_TOPICS_VERSION = 6;
export const CREATE_PARTITIONS_VERSION = 3;
export const ALTER_CONFIGS_VERSION = 2;
export const INCREMENTAL_ALTER_CONFIGS_VERSION = 1;
export const ALLOCATE_PRODUCER_IDS_VERSION = 0;
export const BROKER_REGISTRATION_VERSION = 4;
export const BROKER_HEARTBEAT_VERSION = 1;

const FORWARD_TIMEOUT_MS = 30_000;
const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Kafka's name for a code, for rethrowing a remote error as a KafkaError. */
export function errorNameOf(code: number): ErrorName {
  const hit = (Object.entries(ErrorCode) as Array<[ErrorName, number]>).find(([, v]) => v === code);
  return hit ? hit[0] : 'UNKNOWN_SERVER_ERROR';
}

export function createTopicsRequest(reqs: readonly CreateTopicRequest[], validateOnly: boolean): Input<CreateTopicsRequest> {
  return {
    topics: reqs.map((r) => ({
      name: r.name,
      numPartitions: r.numPartitions,
      replicationFactor: r.replicationFactor,
      assignments: r.assignments.map((a) => ({ partitionIndex: a.partitionIndex, brokerIds: [...a.brokerIds] })),
      configs: r.configs.map((c) => ({ name: c.name, value: c.value })),
    })),
    timeoutMs: FORWARD_TIMEOUT_MS,
    validateOnly,
  };
}

export function topicResults(resp: CreateTopicsResponse, reqs: readonly CreateTopicRequest[]): TopicResult[] {
  return reqs.map((r, i) => {
    const t = resp.topics[i] ?? resp.topics.find((x) => x.name === r.name);
    if (!t) return { name: r.name, topicId: ZERO_ID, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the controller did not answer for this topic', numPartitions: -1, replicationFactor: -1 };
    return { name: t.name, topicId: t.topicId, errorCode: t.errorCode, errorMessage: t.errorMessage, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor };
  });
}

export function deleteTopicsRequest(names: readonly string[]): Input<DeleteTopicsRequest> {
  return { topics: names.map((name) => ({ name, topicId: ZERO_ID })), timeoutMs: FORWARD_TIMEOUT_MS };
}

export function deleteResults(resp: DeleteTopicsResponse, names: readonly string[]): Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }> {
  return names.map((name, i) => {
    const t = resp.responses[i] ?? resp.responses.find((x) => x.name === name);
    return t
      ? { name, topicId: t.topicId, errorCode: t.errorCode, errorMessage: t.errorMessage }
      : { name, topicId: ZERO_ID, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the controller did not answer for this topic' };
  });
}

export function createPartitionsRequest(reqs: ReadonlyArray<{ name: string; count: number; assignments: number[][] | null }>, validateOnly: boolean): Input<CreatePartitionsRequest> {
  return {
    topics: reqs.map((r) => ({ name: r.name, count: r.count, assignments: r.assignments ? r.assignments.map((brokerIds) => ({ brokerIds: [...brokerIds] })) : null })),
    timeoutMs: FORWARD_TIMEOUT_MS,
    validateOnly,
  };
}

export function createPartitionsResults(resp: CreatePartitionsResponse, reqs: ReadonlyArray<{ name: string }>): Array<{ name: string; errorCode: number; errorMessage: string | null }> {
  return reqs.map((r, i) => {
    const t = resp.results[i] ?? resp.results.find((x) => x.name === r.name);
    return t ? { name: r.name, errorCode: t.errorCode, errorMessage: t.errorMessage } : { name: r.name, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the controller did not answer for this topic' };
  });
}

export function alterConfigsRequest(changes: readonly TopicConfigChange[], validateOnly: boolean): Input<AlterConfigsRequest> {
  return {
    resources: changes.map((c) => ({
      resourceType: TOPIC_RESOURCE,
      resourceName: c.topic,
      configs: c.configs.map((x) => ({ name: x.name, value: x.op === 'delete' ? null : x.value })),
    })),
    validateOnly,
  };
}

const OPS: Record<ConfigOp, number> = { set: 0, delete: 1, append: 2, subtract: 3 };

export function incrementalAlterConfigsRequest(changes: readonly TopicConfigChange[], validateOnly: boolean): Input<IncrementalAlterConfigsRequest> {
  return {
    resources: changes.map((c) => ({
      resourceType: TOPIC_RESOURCE,
      resourceName: c.topic,
      configs: c.configs.map((x) => ({ name: x.name, configOperation: OPS[x.op], value: x.value })),
    })),
    validateOnly,
  };
}

export function configResult(topic: string, r: AlterConfigsResourceResponse | undefined): ConfigChangeResult {
  return r ? { topic, errorCode: r.errorCode, errorMessage: r.errorMessage } : { topic, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the controller did not answer for this topic' };
}

export function brokerRegistrationRequest(req: BrokerRegistrationInput): Input<BrokerRegistrationRequest> {
  return {
    brokerId: req.brokerId,
    clusterId: req.clusterId,
    incarnationId: req.incarnationId,
    listeners: req.listeners.map((l) => ({ ...l })),
    features: [],
    rack: req.rack,
    logDirs: [],
    previousBrokerEpoch: -1n,
  };
}
