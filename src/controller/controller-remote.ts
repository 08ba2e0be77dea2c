/**
 * The active controller seen from another node: each QuorumController
 * change method's remote half, sending the same Kafka request over the
 * CONTROLLER listener (controller-forwarder.ts) and mapping the answer back
 * to the method's result. Changes are answered once visible in this node's
 * image (`forward`); broker lifecycle and AlterPartition calls only need the
 * controller's answer (`send`).
 */
import { ErrorCode, KafkaError } from '../api/error-codes.js';
import type { AlterPartitionOutcome, IsrMember } from '../replication/isr-manager.js';
import type { ElectionType } from '../replication/partition-changes.js';
import type { ControllerForwarder } from './controller-forwarder.js';
import type { BrokerHeartbeatInput, BrokerRegistrationInput, HeartbeatResult, RegistrationResult } from './broker-control.js';
import type { ConfigChangeResult, CreateTopicRequest, ElectionResult, ReassignmentResult, TopicConfigChange, TopicResult } from './controller-types.js';
import * as fwd from './forwarded-requests.js';

type Results = Array<{ name: string; errorCode: number; errorMessage: string | null }>;

export class RemoteController {
  constructor(private readonly f: ControllerForwarder) {}

  async brokerRegistration(req: BrokerRegistrationInput): Promise<RegistrationResult> {
    const { response } = await this.f.send(62, fwd.BROKER_REGISTRATION_VERSION, fwd.brokerRegistrationRequest(req), (r) => r.errorCode === ErrorCode.NOT_CONTROLLER);
    return { errorCode: response.errorCode, brokerEpoch: response.brokerEpoch };
  }

  async brokerHeartbeat(req: BrokerHeartbeatInput): Promise<HeartbeatResult> {
    const { response } = await this.f.send(63, fwd.BROKER_HEARTBEAT_VERSION, { ...req }, (r) => r.errorCode === ErrorCode.NOT_CONTROLLER);
    return { errorCode: response.errorCode, isCaughtUp: response.isCaughtUp, isFenced: response.isFenced, shouldShutDown: response.shouldShutDown };
  }

  async allocateProducerIds(brokerId: number, brokerEpoch: bigint): Promise<{ start: bigint; length: number }> {
    const r = await this.f.forward(67, fwd.ALLOCATE_PRODUCER_IDS_VERSION, { brokerId, brokerEpoch }, (x) => x.errorCode === ErrorCode.NOT_CONTROLLER);
    if (r.errorCode !== 0) throw new KafkaError(fwd.errorNameOf(r.errorCode), 'the controller refused to allocate producer ids');
    return { start: r.producerIdStart, length: r.producerIdLen };
  }

  async createTopics(reqs: CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    const r = await this.f.forward(19, fwd.CREATE_TOPICS_VERSION, fwd.createTopicsRequest(reqs, validateOnly), (x) => fwd.allNotController(x.topics.map((t) => t.errorCode)));
    return fwd.topicResults(r, reqs);
  }

  async deleteTopics(names: string[]): Promise<Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }>> {
    const r = await this.f.forward(20, fwd.DELETE_TOPICS_VERSION, fwd.deleteTopicsRequest(names), (x) => fwd.allNotController(x.responses.map((t) => t.errorCode)));
    return fwd.deleteResults(r, names);
  }

  async createPartitions(reqs: Array<{ name: string; count: number; assignments: number[][] | null }>, validateOnly: boolean): Promise<Results> {
    const r = await this.f.forward(37, fwd.CREATE_PARTITIONS_VERSION, fwd.createPartitionsRequest(reqs, validateOnly), (x) => fwd.allNotController(x.results.map((t) => t.errorCode)));
    return fwd.createPartitionsResults(r, reqs);
  }

  /** AlterConfigs for whole-set changes, IncrementalAlterConfigs for the rest; results in the order given. */
  async alterTopicConfigs(changes: TopicConfigChange[], validateOnly: boolean): Promise<ConfigChangeResult[]> {
    const replace = changes.filter((c) => c.mode === 'replace');
    const incremental = changes.filter((c) => c.mode === 'incremental');
    const results = new Map<TopicConfigChange, ConfigChangeResult>();
    if (replace.length > 0) {
      const r = await this.f.forward(33, fwd.ALTER_CONFIGS_VERSION, fwd.alterConfigsRequest(replace, validateOnly), (x) => fwd.allNotController(x.responses.map((t) => t.errorCode)));
      replace.forEach((c, i) => results.set(c, fwd.configResult(c.topic, r.responses[i])));
    }
    if (incremental.length > 0) {
      const r = await this.f.forward(44, fwd.INCREMENTAL_ALTER_CONFIGS_VERSION, fwd.incrementalAlterConfigsRequest(incremental, validateOnly), (x) => fwd.allNotController(x.responses.map((t) => t.errorCode)));
      incremental.forEach((c, i) => results.set(c, fwd.configResult(c.topic, r.responses[i])));
    }
    return changes.map((c) => results.get(c)!);
  }

  /** AlterPartition v3 from a partition leader on this node. */
  async alterPartition(brokerId: number, brokerEpoch: bigint, topicId: string, partition: number, leaderEpoch: number, newIsr: readonly IsrMember[], partitionEpoch: number): Promise<AlterPartitionOutcome> {
    const body = { brokerId, brokerEpoch, topics: [{ topicId, partitions: [{ partitionIndex: partition, leaderEpoch, newIsrWithEpochs: newIsr.map((m) => ({ ...m })), leaderRecoveryState: 0, partitionEpoch }] }] };
    const notController = (r: { errorCode: number; topics: Array<{ partitions: Array<{ errorCode: number }> }> }): boolean =>
      r.errorCode === ErrorCode.NOT_CONTROLLER || r.topics[0]?.partitions[0]?.errorCode === ErrorCode.NOT_CONTROLLER;
    const { response } = await this.f.send(56, 3, body, notController);
    const pd = response.topics[0]?.partitions[0];
    if (response.errorCode !== 0 || !pd) return { errorCode: response.errorCode || ErrorCode.UNKNOWN_SERVER_ERROR, leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 };
    return { errorCode: pd.errorCode, leaderId: pd.leaderId, leaderEpoch: pd.leaderEpoch, isr: pd.isr, partitionEpoch: pd.partitionEpoch };
  }

  async electLeaders(type: ElectionType, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionResult[]> {
    const body = { electionType: type === 'preferred' ? 0 : 1, topicPartitions: topics?.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })) ?? null, timeoutMs: 30_000 };
    const r = await this.f.forward(43, 2, body, (x) => x.errorCode === ErrorCode.NOT_CONTROLLER || x.replicaElectionResults.some((t) => t.partitionResult.some((p) => p.errorCode === ErrorCode.NOT_CONTROLLER)));
    if (r.errorCode !== 0) return (topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode: r.errorCode, errorMessage: 'the controller refused the election' })));
    return r.replicaElectionResults.flatMap((t) => t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })));
  }

  async alterPartitionReassignments(reqs: Array<{ topic: string; partition: number; replicas: number[] | null }>): Promise<ReassignmentResult[]> {
    const byTopic = new Map<string, Array<{ partitionIndex: number; replicas: number[] | null }>>();
    for (const r of reqs) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { partitionIndex: r.partition, replicas: r.replicas }]);
    const body = { timeoutMs: 30_000, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    const r = await this.f.forward(45, 0, body, (x) => x.errorCode === ErrorCode.NOT_CONTROLLER);
    return reqs.map((q) => {
      if (r.errorCode !== 0) return { ...q, errorCode: r.errorCode, errorMessage: r.errorMessage };
      const p = r.responses.find((t) => t.name === q.topic)?.partitions.find((x) => x.partitionIndex === q.partition);
      return { ...q, errorCode: p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: p?.errorMessage ?? null };
    });
  }
}
