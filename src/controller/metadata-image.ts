/**
 * MetadataImage: the immutable view of cluster metadata that the broker side
 * reads (topics, partitions, leaders, ISR, brokers, configs). It is derived
 * only by replaying metadata records (`replay`), in log order, so the
 * metadata log stays the single source of truth.
 *
 * Records handled: RegisterBroker, Topic, Partition, PartitionChange, Config
 * (topic resources), RemoveTopic, FenceBroker, UnfenceBroker, ProducerIds.
 */
import type { MetadataRecord } from './metadata-records.js';

export interface PartitionImage {
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  /** Ongoing reassignment (KIP-455): replicas being added and removed (both empty otherwise). */
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  readonly id: string;
  readonly partitions: readonly PartitionImage[];
  readonly configs: ReadonlyMap<string, string>;
}

export interface BrokerEndpoint {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: number;
}

export interface BrokerImage {
  readonly id: number;
  readonly epoch: bigint;
  readonly incarnationId: string;
  readonly endpoints: readonly BrokerEndpoint[];
  readonly rack: string | null;
  readonly fenced: boolean;
}

/** Config resource type of a topic in ConfigRecord (as in DescribeConfigs). */
export const TOPIC_RESOURCE = 2;

export class MetadataImage {
  private constructor(
    readonly topics: ReadonlyMap<string, TopicImage>,
    readonly topicsById: ReadonlyMap<string, TopicImage>,
    readonly brokers: ReadonlyMap<number, BrokerImage>,
    readonly nextProducerId: bigint,
    /** Offset of the last record applied, -1 for an empty log. */
    readonly offset: number,
  ) {}

  static empty(): MetadataImage {
    return new MetadataImage(new Map(), new Map(), new Map(), 0n, -1);
  }

  topic(name: string): TopicImage | undefined {
    return this.topics.get(name);
  }

  partition(topic: string, partition: number): PartitionImage | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  liveBrokers(): BrokerImage[] {
    return [...this.brokers.values()].filter((b) => !b.fenced).sort((a, b) => a.id - b.id);
  }

  /** Applies records (in log order) and returns the new image; `this` is unchanged. */
  replay(records: readonly MetadataRecord[], lastOffset: number): MetadataImage {
    const topics = new Map(this.topics);
    const byId = new Map(this.topicsById);
    const brokers = new Map(this.brokers);
    let nextProducerId = this.nextProducerId;
    const putTopic = (t: TopicImage): void => {
      topics.set(t.name, t);
      byId.set(t.id, t);
    };
    for (const rec of records) {
      switch (rec.type) {
        case 'Topic':
          putTopic({ name: rec.data.name, id: rec.data.topicId, partitions: [], configs: new Map() });
          break;
        case 'Partition': {
          const t = byId.get(rec.data.topicId);
          if (!t) break;
          const parts = t.partitions.slice();
          parts[rec.data.partitionId] = {
            partition: rec.data.partitionId,
            replicas: rec.data.replicas,
            isr: rec.data.isr,
            leader: rec.data.leader,
            leaderEpoch: rec.data.leaderEpoch,
            partitionEpoch: rec.data.partitionEpoch,
            addingReplicas: rec.data.addingReplicas,
            removingReplicas: rec.data.removingReplicas,
          };
          putTopic({ ...t, partitions: parts });
          break;
        }
        case 'PartitionChange': {
          const t = byId.get(rec.data.topicId);
          const p = t?.partitions[rec.data.partitionId];
          if (!t || !p) break;
          const d = rec.data;
          // As Kafka's PartitionRegistration.merge: any record naming a leader (-2: no change) starts a new leader epoch.
          const leaderSet = d.leader !== -2;
          const parts = t.partitions.slice();
          parts[d.partitionId] = {
            ...p,
            isr: d.isr ?? p.isr,
            replicas: d.replicas ?? p.replicas,
            leader: leaderSet ? d.leader : p.leader,
            leaderEpoch: leaderSet ? p.leaderEpoch + 1 : p.leaderEpoch,
            partitionEpoch: p.partitionEpoch + 1,
            addingReplicas: d.addingReplicas ?? p.addingReplicas,
            removingReplicas: d.removingReplicas ?? p.removingReplicas,
          };
          putTopic({ ...t, partitions: parts });
          break;
        }
        case 'Config': {
          if (rec.data.resourceType !== TOPIC_RESOURCE) break;
          const t = topics.get(rec.data.resourceName);
          if (!t) break;
          const configs = new Map(t.configs);
          if (rec.data.value === null) configs.delete(rec.data.name);
          else configs.set(rec.data.name, rec.data.value);
          putTopic({ ...t, configs });
          break;
        }
        case 'RemoveTopic': {
          const t = byId.get(rec.data.topicId);
          if (!t) break;
          byId.delete(t.id);
          topics.delete(t.name);
          break;
        }
        case 'RegisterBroker':
          brokers.set(rec.data.brokerId, {
            id: rec.data.brokerId,
            epoch: rec.data.brokerEpoch,
            incarnationId: rec.data.incarnationId,
            endpoints: rec.data.endPoints.map((e) => ({
              name: e.name,
              host: e.host,
              port: e.port,
              securityProtocol: e.securityProtocol,
            })),
            rack: rec.data.rack,
            fenced: rec.data.fenced,
          });
          break;
        case 'FenceBroker':
        case 'UnfenceBroker': {
          const b = brokers.get(rec.data.id);
          if (b) brokers.set(b.id, { ...b, fenced: rec.type === 'FenceBroker' });
          break;
        }
        case 'ProducerIds':
          nextProducerId = rec.data.nextProducerId;
          break;
      }
    }
    return new MetadataImage(topics, byId, brokers, nextProducerId, lastOffset);
  }
}
