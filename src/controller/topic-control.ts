/**
 * Topic changes at the active controller: CreateTopics (placement over live
 * brokers, manual assignments, configs), DeleteTopics, AlterConfigs /
 * IncrementalAlterConfigs on topics, CreatePartitions. Each decides from
 * the current image on the controller's serial queue (`run`) and commits
 * its records in one change; QuorumController routes calls here when this
 * node is the active controller and forwards them otherwise.
 */
import { randomBytes } from 'node:crypto';
import type { BrokerConfig } from '../config/broker-config.js';
import { validateTopicConfig } from '../config/topic-config.js';
import { KafkaError } from '../api/error-codes.js';
import { TOPIC_RESOURCE, type MetadataImage } from './metadata-image.js';
import type { MetadataRecordInput } from './metadata-records.js';
import { placeReplicas, validateAssignment, validateTopicName } from './topic-validation.js';
import { alteredOverrides, partitionRecord } from './topic-changes.js';
import type { ConfigChangeResult, CreateTopicRequest, TopicConfigChange, TopicResult } from './controller-types.js';

const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

export interface TopicControlDeps {
  readonly config: BrokerConfig;
  image(): MetadataImage;
  run<T>(fn: () => Promise<T>): Promise<T>;
  commit(records: MetadataRecordInput[]): Promise<void>;
}

export class TopicControl {
  constructor(private readonly d: TopicControlDeps) {}

  createTopics(reqs: CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    return this.d.run(async () => {
      const counts = new Map<string, number>();
      for (const r of reqs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
      const results: TopicResult[] = [];
      const records: MetadataRecordInput[] = [];
      const image = this.d.image();
      const live = image.liveBrokers().map((b) => b.id);
      let start = randomBytes(2).readUInt16BE(0) % Math.max(1, live.length);
      for (const req of reqs) {
        const result: TopicResult = { name: req.name, topicId: ZERO_ID, errorCode: 0, errorMessage: null, numPartitions: -1, replicationFactor: -1 };
        results.push(result);
        try {
          if ((counts.get(req.name) ?? 0) > 1) throw new KafkaError('INVALID_REQUEST', `Create topics request from client contains a duplicate topic name: ${req.name}`);
          validateTopicName(req.name);
          if (image.topic(req.name)) throw new KafkaError('TOPIC_ALREADY_EXISTS', `Topic '${req.name}' already exists.`);
          const replicas = this.planReplicas(req, live, start++);
          for (const c of req.configs) {
            const problem = validateTopicConfig(c.name, c.value);
            if (problem) throw new KafkaError('INVALID_CONFIG', problem);
          }
          result.numPartitions = replicas.length;
          result.replicationFactor = replicas[0].length;
          if (validateOnly) continue;
          const topicId = randomBytes(16).toString('base64url');
          result.topicId = topicId;
          records.push({ type: 'Topic', data: { name: req.name, topicId } });
          for (const c of req.configs) {
            if (c.value !== null) records.push({ type: 'Config', data: { resourceType: TOPIC_RESOURCE, resourceName: req.name, name: c.name, value: c.value } });
          }
          replicas.forEach((rs, i) => records.push(partitionRecord(topicId, i, rs)));
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          result.errorCode = err.errorCode;
          result.errorMessage = err.message;
        }
      }
      await this.d.commit(records);
      return results;
    });
  }

  private planReplicas(req: CreateTopicRequest, live: number[], start: number): number[][] {
    if (req.assignments.length > 0) {
      if (req.numPartitions !== -1 || req.replicationFactor !== -1) {
        throw new KafkaError('INVALID_REQUEST', 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
      }
      const sorted = [...req.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
      sorted.forEach((a, i) => {
        if (a.partitionIndex !== i) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'Partitions should be numbered consecutively from 0');
      });
      const assignment = sorted.map((a) => a.brokerIds);
      validateAssignment(assignment, new Set(live));
      return assignment;
    }
    const partitions = req.numPartitions === -1 ? this.d.config.int('num.partitions') : req.numPartitions;
    const rf = req.replicationFactor === -1 ? this.d.config.int('default.replication.factor') : req.replicationFactor;
    if (partitions <= 0) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions was set to an invalid non-positive value.`);
    if (rf <= 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (live.length === 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Unable to replicate the partition: no brokers are registered.');
    return placeReplicas(live, partitions, rf, 0, start);
  }

  deleteTopics(names: string[]): Promise<Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }>> {
    return this.d.run(async () => {
      const image = this.d.image();
      const out: Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }> = [];
      const records: MetadataRecordInput[] = [];
      const seen = new Set<string>();
      for (const name of names) {
        const t = image.topic(name);
        if (!this.d.config.bool('delete.topic.enable')) {
          out.push({ name, topicId: t?.id ?? ZERO_ID, errorCode: new KafkaError('TOPIC_DELETION_DISABLED').errorCode, errorMessage: 'Topic deletion is disabled.' });
        } else if (!t) {
          out.push({ name, topicId: ZERO_ID, errorCode: new KafkaError('UNKNOWN_TOPIC_OR_PARTITION').errorCode, errorMessage: 'This server does not host this topic-partition.' });
        } else {
          out.push({ name, topicId: t.id, errorCode: 0, errorMessage: null });
          if (!seen.has(name)) records.push({ type: 'RemoveTopic', data: { topicId: t.id } });
          seen.add(name);
        }
      }
      await this.d.commit(records);
      return out;
    });
  }

  alterTopicConfigs(changes: TopicConfigChange[], validateOnly: boolean): Promise<ConfigChangeResult[]> {
    return this.d.run(async () => {
      const image = this.d.image();
      const results: ConfigChangeResult[] = [];
      const records: MetadataRecordInput[] = [];
      for (const change of changes) {
        try {
          const t = image.topic(change.topic);
          if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${change.topic}' does not exist.`);
          const next = alteredOverrides(t.configs, change, this.d.config);
          results.push({ topic: change.topic, errorCode: 0, errorMessage: null });
          if (validateOnly) continue;
          const names = new Set([...t.configs.keys(), ...next.keys()]);
          for (const name of names) {
            const value = next.get(name) ?? null;
            if (value === (t.configs.get(name) ?? null)) continue;
            records.push({ type: 'Config', data: { resourceType: TOPIC_RESOURCE, resourceName: change.topic, name, value } });
          }
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          results.push({ topic: change.topic, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
      await this.d.commit(records);
      return results;
    });
  }

  createPartitions(
    reqs: Array<{ name: string; count: number; assignments: number[][] | null }>,
    validateOnly: boolean,
  ): Promise<Array<{ name: string; errorCode: number; errorMessage: string | null }>> {
    return this.d.run(async () => {
      const image = this.d.image();
      const live = image.liveBrokers().map((b) => b.id);
      const out: Array<{ name: string; errorCode: number; errorMessage: string | null }> = [];
      const records: MetadataRecordInput[] = [];
      for (const req of reqs) {
        try {
          const t = image.topic(req.name);
          if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${req.name}' does not exist.`);
          const have = t.partitions.length;
          if (req.count < have) throw new KafkaError('INVALID_PARTITIONS', `The topic ${req.name} currently has ${have} partition(s); ${req.count} would not be an increase.`);
          if (req.count === have) throw new KafkaError('INVALID_PARTITIONS', `Topic already has ${have} partition(s).`);
          const rf = t.partitions[0]?.replicas.length ?? 1;
          let assignment: number[][];
          if (req.assignments) {
            if (req.assignments.length !== req.count - have) {
              throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `Increasing the number of partitions by ${req.count - have} but ${req.assignments.length} assignments provided.`);
            }
            validateAssignment(req.assignments, new Set(live));
            assignment = req.assignments;
          } else {
            assignment = placeReplicas(live, req.count - have, rf, have, randomBytes(1)[0]);
          }
          out.push({ name: req.name, errorCode: 0, errorMessage: null });
          if (!validateOnly) assignment.forEach((rs, i) => records.push(partitionRecord(t.id, have + i, rs)));
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          out.push({ name: req.name, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
      await this.d.commit(records);
      return out;
    });
  }
}
