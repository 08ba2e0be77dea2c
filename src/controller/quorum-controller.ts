/**
 * The controller: owns cluster metadata as a log of metadata records
 * (`__cluster_metadata-0` in metadata.log.dir) and publishes the image
 * replayed from it.
 *
 * Every change runs on one serial queue: decide synchronously from the
 * current image, turn the decision into records, commit them, then replay
 * them into a new image and hand it to the listeners. A change answers only
 * after its records are committed. This issue commits on a single voter
 * (append + fsync of the local metadata log); the Raft quorum issue replaces
 * `commit` with replication to a majority, keeping the rest.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { TOPIC_CONFIG_DEFS, topicConfigValue, validateTopicConfig } from '../config/topic-config.js';
import type { PartitionLog } from '../log/partition-log.js';
import { ErrorCode, KafkaError, type ErrorName } from '../api/error-codes.js';
import { MetadataImage, TOPIC_RESOURCE } from './metadata-image.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord, type MetadataRecordInput } from './metadata-records.js';
import { placeReplicas, validateAssignment, validateTopicName } from './topic-validation.js';
import { buildBatchSync, decodeBatch } from '../protocol/records.js';
import { batchPositions } from '../protocol/record-batch.js';
import {
  alterPartitionChange,
  brokerRemovedChanges,
  electionChange,
  isLive,
  offlinePartitionChanges,
  toChangeRecord,
  validateAlterPartition,
  type ElectionType,
  type PartitionChange,
  type TopicPolicy,
} from '../replication/partition-changes.js';
import { reassignmentChange } from '../replication/reassignment.js';
import type { AlterPartitionOutcome, IsrMember } from '../replication/isr-manager.js';

export type ImageListener = (image: MetadataImage) => Promise<void> | void;

export interface CreateTopicRequest {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface TopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
}

/** IncrementalAlterConfigs operations (SET, DELETE, APPEND, SUBTRACT; the last two for list configs). */
export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';

export interface TopicConfigChange {
  topic: string;
  /** incremental: apply each op; replace (AlterConfigs): the given values become the topic's whole override set. */
  mode: 'incremental' | 'replace';
  configs: Array<{ name: string; op: ConfigOp; value: string | null }>;
}

export interface ConfigChangeResult {
  topic: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface BrokerRegistration {
  brokerId: number;
  incarnationId: string;
  endpoints: Array<{ name: string; host: string; port: number; securityProtocol: number }>;
  rack: string | null;
}

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export class QuorumController {
  private current = MetadataImage.empty();
  private readonly listeners: ImageListener[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly config: BrokerConfig,
    private readonly metadataLog: PartitionLog,
    private readonly log: Logger,
  ) {}

  image(): MetadataImage {
    return this.current;
  }

  /** Calls fn with every new image; returns a function that stops it (a node leaving a shared controller). */
  onImage(fn: ImageListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Replays the metadata log from its start. */
  async load(): Promise<void> {
    const records: MetadataRecord[] = [];
    let offset = this.metadataLog.logStartOffset;
    let last = -1;
    while (offset < this.metadataLog.logEndOffset) {
      const { records: bytes } = await this.metadataLog.read(offset, 1 << 20, { minOneBatch: true });
      if (bytes.length === 0) break;
      for (const [pos, size] of batchPositions(bytes)) {
        const batch = await decodeBatch(bytes.subarray(pos, pos + size));
        for (const r of batch.records) {
          if (r.value === null) continue;
          const rec = decodeMetadataRecord(r.value);
          if (rec) records.push(rec);
        }
        last = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta;
        offset = last + 1;
      }
    }
    this.current = this.current.replay(records, last);
    this.log.info({ records: records.length, topics: this.current.topics.size }, 'metadata log loaded');
  }

  /** Runs fn on the controller's serial queue. */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Commits records to the metadata log and publishes the replayed image. */
  private async commit(records: MetadataRecordInput[]): Promise<void> {
    if (records.length === 0) return;
    const batch = buildBatchSync({ records: records.map((r) => ({ key: null, value: encodeMetadataRecord(r) })) });
    const res = await this.metadataLog.append(batch);
    await this.metadataLog.flush();
    const decoded = records.map((r) => decodeMetadataRecord(encodeMetadataRecord(r))).filter((r): r is MetadataRecord => r !== null);
    this.current = this.current.replay(decoded, res.lastOffset);
    for (const l of this.listeners) await l(this.current);
  }

  registerBroker(reg: BrokerRegistration): Promise<void> {
    return this.run(async () => {
      const prev = this.current.brokers.get(reg.brokerId);
      const same =
        prev &&
        !prev.fenced &&
        prev.rack === reg.rack &&
        JSON.stringify(prev.endpoints) === JSON.stringify(reg.endpoints);
      if (same) return;
      const epoch = BigInt(this.current.offset + 1);
      await this.commit([
        {
          type: 'RegisterBroker',
          data: {
            brokerId: reg.brokerId,
            incarnationId: reg.incarnationId,
            brokerEpoch: epoch,
            endPoints: reg.endpoints,
            rack: reg.rack,
            fenced: false,
          },
        },
      ]);
      // Partitions left without a leader may have one again (Kafka does this when the broker unfences).
      await this.commit(offlinePartitionChanges(this.current, (id) => isLive(this.current, id), this.topicPolicy()).map(toChangeRecord));
    });
  }

  /**
   * Hands a broker the next block of producer ids. The block is committed as
   * a ProducerIdsRecord before it is returned, so ids never repeat, even
   * after a restart.
   */
  allocateProducerIds(brokerId: number, blockSize: number): Promise<{ start: bigint; length: number }> {
    return this.run(async () => {
      const start = this.current.nextProducerId;
      const broker = this.current.brokers.get(brokerId);
      await this.commit([
        { type: 'ProducerIds', data: { brokerId, brokerEpoch: broker?.epoch ?? -1n, nextProducerId: start + BigInt(blockSize) } },
      ]);
      return { start, length: blockSize };
    });
  }

  createTopics(reqs: CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    return this.run(async () => {
      const counts = new Map<string, number>();
      for (const r of reqs) counts.set(r.name, (counts.get(r.name) ?? 0) + 1);
      const results: TopicResult[] = [];
      const records: MetadataRecordInput[] = [];
      const image = this.current;
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
      await this.commit(records);
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
    const partitions = req.numPartitions === -1 ? this.config.int('num.partitions') : req.numPartitions;
    const rf = req.replicationFactor === -1 ? this.config.int('default.replication.factor') : req.replicationFactor;
    if (partitions <= 0) throw new KafkaError('INVALID_PARTITIONS', `Number of partitions was set to an invalid non-positive value.`);
    if (rf <= 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Replication factor must be larger than 0, or -1 to use the default value.');
    if (live.length === 0) throw new KafkaError('INVALID_REPLICATION_FACTOR', 'Unable to replicate the partition: no brokers are registered.');
    return placeReplicas(live, partitions, rf, 0, start);
  }

  deleteTopics(names: string[]): Promise<Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }>> {
    return this.run(async () => {
      const image = this.current;
      const out: Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }> = [];
      const records: MetadataRecordInput[] = [];
      const seen = new Set<string>();
      for (const name of names) {
        const t = image.topic(name);
        if (!this.config.bool('delete.topic.enable')) {
          out.push({ name, topicId: t?.id ?? ZERO_ID, errorCode: new KafkaError('TOPIC_DELETION_DISABLED').errorCode, errorMessage: 'Topic deletion is disabled.' });
        } else if (!t) {
          out.push({ name, topicId: ZERO_ID, errorCode: new KafkaError('UNKNOWN_TOPIC_OR_PARTITION').errorCode, errorMessage: 'This server does not host this topic-partition.' });
        } else {
          out.push({ name, topicId: t.id, errorCode: 0, errorMessage: null });
          if (!seen.has(name)) records.push({ type: 'RemoveTopic', data: { topicId: t.id } });
          seen.add(name);
        }
      }
      await this.commit(records);
      return out;
    });
  }

  /**
   * Changes topic-level configs (IncrementalAlterConfigs, AlterConfigs): each
   * topic is validated as a whole and changed as a whole, as Config records
   * (value null removes an override). With validateOnly nothing is committed.
   */
  alterTopicConfigs(changes: TopicConfigChange[], validateOnly: boolean): Promise<ConfigChangeResult[]> {
    return this.run(async () => {
      const image = this.current;
      const results: ConfigChangeResult[] = [];
      const records: MetadataRecordInput[] = [];
      for (const change of changes) {
        try {
          const t = image.topic(change.topic);
          if (!t) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `The topic '${change.topic}' does not exist.`);
          const next = alteredOverrides(t.configs, change, this.config);
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
      await this.commit(records);
      return results;
    });
  }

  createPartitions(
    reqs: Array<{ name: string; count: number; assignments: number[][] | null }>,
    validateOnly: boolean,
  ): Promise<Array<{ name: string; errorCode: number; errorMessage: string | null }>> {
    return this.run(async () => {
      const image = this.current;
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
      await this.commit(records);
      return out;
    });
  }

  // ---- Replication: ISR changes, elections, fencing, reassignments (issue 7) ----

  private topicPolicy(): TopicPolicy {
    return { unclean: (topic) => topicConfigValue('unclean.leader.election.enable', this.current.topic(topic)?.configs ?? new Map(), this.config) === 'true' };
  }

  /**
   * AlterPartition from a partition leader (Kafka's
   * ReplicationControlManager.alterPartition): STALE_BROKER_EPOCH for an
   * unknown broker or epoch, UNKNOWN_TOPIC_ID, then validateAlterPartition
   * (NOT_CONTROLLER, FENCED_LEADER_EPOCH, INVALID_REQUEST,
   * INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA). An accepted change is
   * committed as a PartitionChangeRecord; the answer carries the partition
   * state after it. A change that completes a reassignment and moves
   * leadership answers NEW_LEADER_ELECTED (FENCED_LEADER_EPOCH before v2).
   */
  alterPartition(
    brokerId: number,
    brokerEpoch: bigint,
    topicId: string,
    partition: number,
    leaderEpoch: number,
    newIsr: readonly IsrMember[],
    partitionEpoch: number,
    version = 3,
  ): Promise<AlterPartitionOutcome> {
    return this.run(async () => {
      const image = this.current;
      const fail = (e: ErrorName): AlterPartitionOutcome => ({ errorCode: ErrorCode[e], leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 });
      const broker = image.brokers.get(brokerId);
      if (!broker || broker.epoch !== brokerEpoch) return fail('STALE_BROKER_EPOCH');
      const t = image.topicsById.get(topicId);
      if (!t) return fail(version > 1 ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION');
      const p = t.partitions[partition];
      const invalid = validateAlterPartition(image, p, { brokerId, leaderEpoch, partitionEpoch, newIsr }, version);
      if (invalid || !p) return fail(invalid ?? 'UNKNOWN_TOPIC_OR_PARTITION');
      const change = alterPartitionChange(topicId, p, newIsr.map((m) => m.brokerId), (id) => isLive(image, id));
      if (change) await this.commit([toChangeRecord(change)]);
      if (change?.leader !== undefined && change.leader !== brokerId) return fail(version > 1 ? 'NEW_LEADER_ELECTED' : 'FENCED_LEADER_EPOCH');
      const after = this.current.topicsById.get(topicId)?.partitions[partition] ?? p;
      return { errorCode: ErrorCode.NONE, leaderId: after.leader, leaderEpoch: after.leaderEpoch, isr: after.isr, partitionEpoch: after.partitionEpoch };
    });
  }

  /**
   * ElectLeaders: preferred (the first replica, if live and in the ISR) or
   * unclean (only partitions without a live leader; any live replica). A
   * null partition list means every partition, and then partitions that
   * need no election are left out of the answer, as in Kafka.
   */
  electLeaders(type: ElectionType, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionResult[]> {
    return this.run(async () => {
      const image = this.current;
      const live = (id: number): boolean => isLive(image, id);
      const out: ElectionResult[] = [];
      const changes: PartitionChange[] = [];
      const all = topics === null;
      const wanted = topics ?? [...image.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
      for (const { topic, partitions } of wanted) {
        const t = image.topic(topic);
        for (const partition of partitions) {
          const p = t?.partitions[partition];
          const r = t && p ? electionChange(t.id, p, type, live) : 'UNKNOWN_TOPIC_OR_PARTITION';
          if (typeof r !== 'string') changes.push(r);
          const error: ErrorName | null = typeof r === 'string' ? r : null;
          if (all && error === 'ELECTION_NOT_NEEDED') continue;
          out.push({ topic, partition, errorCode: error ? ErrorCode[error] : 0, errorMessage: error === 'UNKNOWN_TOPIC_OR_PARTITION' ? `No such partition as ${topic}-${partition}` : null });
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return out;
    });
  }

  /** Fences a broker (Kafka's handleBrokerFenced): it leaves the ISRs and leadership moves to live ISR members. */
  fenceBroker(brokerId: number): Promise<void> {
    return this.run(async () => {
      const b = this.current.brokers.get(brokerId);
      if (!b || b.fenced) return;
      const changes = brokerRemovedChanges(this.current, brokerId, this.topicPolicy());
      await this.commit([...changes.map(toChangeRecord), { type: 'FenceBroker', data: { id: brokerId, epoch: b.epoch } }]);
      this.log.info({ brokerId, partitions: changes.length }, 'fenced a broker');
    });
  }

  /** Unfences a broker (Kafka's handleBrokerUnfenced): partitions without a leader may elect it. */
  unfenceBroker(brokerId: number): Promise<void> {
    return this.run(async () => {
      const b = this.current.brokers.get(brokerId);
      if (!b || !b.fenced) return;
      const image = this.current;
      const changes = offlinePartitionChanges(image, (id) => id === brokerId || isLive(image, id), this.topicPolicy());
      await this.commit([{ type: 'UnfenceBroker', data: { id: brokerId, epoch: b.epoch } }, ...changes.map(toChangeRecord)]);
    });
  }

  /**
   * Controlled shutdown: moves leadership off the broker and takes it out of
   * the ISRs before it stops (Kafka's handleBrokerInControlledShutdown),
   * then fences it, as its session would end anyway.
   */
  controlledShutdown(brokerId: number): Promise<void> {
    return this.fenceBroker(brokerId);
  }

  /**
   * AlterPartitionReassignments: starts, replaces or (replicas null)
   * cancels the move of each partition (reassignment.ts). Errors are per
   * partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
   * NO_REASSIGNMENT_IN_PROGRESS.
   */
  alterPartitionReassignments(reqs: Array<{ topic: string; partition: number; replicas: number[] | null }>): Promise<ReassignmentResult[]> {
    return this.run(async () => {
      const image = this.current;
      const out: ReassignmentResult[] = [];
      const changes: PartitionChange[] = [];
      for (const r of reqs) {
        try {
          const t = image.topic(r.topic);
          const p = t?.partitions[r.partition];
          if (!t || !p) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition ${r.topic}-${r.partition}`);
          const c = reassignmentChange(image, t.id, p, r.replicas);
          if (c) changes.push(c);
          out.push({ ...r, errorCode: 0, errorMessage: null });
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          out.push({ ...r, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return out;
    });
  }

  /** Ongoing reassignments (of the named topics, or all). */
  listPartitionReassignments(topics: Array<{ topic: string; partitions: number[] }> | null): OngoingReassignment[] {
    const image = this.current;
    const out: OngoingReassignment[] = [];
    const wanted = topics ?? [...image.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    for (const { topic, partitions } of wanted) {
      const t = image.topic(topic);
      for (const i of partitions) {
        const p = t?.partitions[i];
        if (!p || (p.addingReplicas.length === 0 && p.removingReplicas.length === 0)) continue;
        out.push({ topic, partition: i, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] });
      }
    }
    return out;
  }

  /**
   * auto.leader.rebalance.enable: moves leadership back to preferred
   * replicas that are live and in sync (Kafka's maybeBalancePartitionLeaders).
   * Returns how many partitions moved.
   */
  balanceLeaders(): Promise<number> {
    return this.run(async () => {
      const image = this.current;
      const changes: PartitionChange[] = [];
      for (const t of image.topics.values()) {
        for (const p of t.partitions) {
          const c = p ? electionChange(t.id, p, 'preferred', (id) => isLive(image, id)) : null;
          if (c && typeof c !== 'string') changes.push(c);
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return changes.length;
    });
  }}

const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** A topic's overrides after the changes; throws KafkaError(INVALID_CONFIG) on a bad name, value or op. */
function alteredOverrides(current: ReadonlyMap<string, string>, change: TopicConfigChange, broker: BrokerConfig): Map<string, string> {
  const next = change.mode === 'replace' ? new Map<string, string>() : new Map(current);
  for (const c of change.configs) {
    const def = TOPIC_CONFIG_DEFS.get(c.name);
    if (!def) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${c.name}`);
    let value: string | null = c.value;
    if (c.op === 'delete') value = null;
    else if (c.op === 'append' || c.op === 'subtract') {
      if (def.type !== 'list') throw new KafkaError('INVALID_CONFIG', `Can't ${c.op.toUpperCase()} to key ${c.name} because its type is not LIST.`);
      const parts = (next.get(c.name) ?? topicConfigValue(c.name, next, broker) ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const given = (c.value ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const merged = c.op === 'append' ? [...parts, ...given.filter((g) => !parts.includes(g))] : parts.filter((x) => !given.includes(x));
      value = merged.join(',');
    }
    const problem = validateTopicConfig(c.name, value);
    if (problem) throw new KafkaError('INVALID_CONFIG', problem);
    if (value === null) next.delete(c.name);
    else next.set(c.name, value);
  }
  const minLag = Number(topicConfigValue('min.compaction.lag.ms', next, broker));
  const maxLag = Number(topicConfigValue('max.compaction.lag.ms', next, broker));
  if (minLag > maxLag) throw new KafkaError('INVALID_CONFIG', `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  return next;
}

function partitionRecord(topicId: string, partitionId: number, replicas: number[]): MetadataRecordInput {
  return {
    type: 'Partition',
    data: { partitionId, topicId, replicas, isr: replicas, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 },
  };
}
