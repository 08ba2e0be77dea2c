/**
 * What a conformance run knows about the broker under test and the shared
 * fixtures checks build on: the advertised API versions (from ApiVersions),
 * the brokers and cluster id (from Metadata), and topics created for the run.
 *
 * Nothing here assumes Krill. Topics are made with CreateTopics when the
 * broker advertises it (else by Metadata auto-creation, without configs),
 * named `conformance-<run id>-<label>` so runs never collide, and deleted at
 * the end when DeleteTopics is advertised.
 */
import { randomBytes } from 'node:crypto';
import { API_SCHEMAS } from '../protocol/generated/api-keys.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { KafkaConnection, type ApiKeyOf, type TaggedField } from './connection.js';
import { skip } from './assert.js';

export interface VersionRange {
  min: number;
  max: number;
}

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  index: number;
  leader: number;
  leaderEpoch: number;
}

export interface TopicInfo {
  name: string;
  /** ZERO_UUID when the broker's Metadata is older than v10. */
  id: string;
  partitions: PartitionInfo[];
}

export interface TopicSpec {
  partitions?: number;
  configs?: Record<string, string>;
}

export interface SuiteOptions {
  /** Run Krill-specific checks too. */
  krill?: boolean;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
}

const API_VERSIONS = 18;
const METADATA = 3;
const CREATE_TOPICS = 19;
const DELETE_TOPICS = 20;
const TOPIC_ALREADY_EXISTS = 36;

const schemaRange = (apiKey: number): VersionRange | undefined => {
  const s = (API_SCHEMAS as Record<number, { request: { minVersion: number; maxVersion: number } } | undefined>)[apiKey];
  return s ? { min: s.request.minVersion, max: s.request.maxVersion } : undefined;
};

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retries fn until it returns a value other than undefined, or the deadline passes. */
export async function poll<T>(fn: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined || Date.now() >= deadline) return v;
    await sleep(intervalMs);
  }
}

export class Suite {
  readonly runId = randomBytes(4).toString('hex');
  readonly advertised = new Map<number, VersionRange>();
  readonly brokers = new Map<number, BrokerEndpoint>();
  clusterId: string | null = null;
  controllerId = -1;
  private readonly fixtures = new Map<string, Promise<TopicInfo>>();
  private readonly created = new Set<string>();
  private readonly cleanups: Array<() => Promise<void>> = [];

  private constructor(
    readonly bootstrap: string,
    readonly options: SuiteOptions,
  ) {}

  get krill(): boolean {
    return this.options.krill ?? false;
  }

  get timeoutMs(): number {
    return this.options.requestTimeoutMs ?? 10_000;
  }

  /** Connects, reads ApiVersions and the cluster's brokers. */
  static async open(bootstrap: string, options: SuiteOptions = {}): Promise<Suite> {
    const suite = new Suite(bootstrap, options);
    const c = await KafkaConnection.connect(bootstrap);
    try {
      // v0 is understood by every broker; ask for the highest version this codec and the broker share next.
      let versions = await c.request(API_VERSIONS, 0, {}, { timeoutMs: suite.timeoutMs });
      if (versions.errorCode !== 0) throw new Error(`ApiVersions v0 answered error ${versions.errorCode}`);
      const own = versions.apiKeys.find((k) => k.apiKey === API_VERSIONS);
      const v = Math.min(own?.maxVersion ?? 0, schemaRange(API_VERSIONS)!.max);
      if (v > 0) {
        versions = await c.request(API_VERSIONS, v, { clientSoftwareName: 'krill-conformance', clientSoftwareVersion: '1.0' }, { timeoutMs: suite.timeoutMs });
      }
      for (const k of versions.apiKeys) suite.advertised.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
      await suite.refreshBrokers(c);
    } finally {
      c.close();
    }
    return suite;
  }

  private async refreshBrokers(c: KafkaConnection): Promise<void> {
    const v = this.maxVersion(METADATA);
    const md = await c.request(METADATA, v, { topics: [] }, { timeoutMs: this.timeoutMs });
    for (const b of md.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    this.clusterId = md.clusterId;
    this.controllerId = md.controllerId;
  }

  has(apiKey: number): boolean {
    return this.advertised.has(apiKey);
  }

  /** Versions of apiKey that the broker advertises and Krill's codec knows, ascending. */
  versions(apiKey: number): number[] {
    const a = this.advertised.get(apiKey);
    const s = schemaRange(apiKey);
    if (!a || !s) return [];
    const out: number[] = [];
    for (let v = Math.max(a.min, s.min); v <= Math.min(a.max, s.max); v++) out.push(v);
    return out;
  }

  /** The highest version of apiKey both sides know; skips the check when there is none. */
  maxVersion(apiKey: number): number {
    const vs = this.versions(apiKey);
    if (vs.length === 0) skip(`the broker does not advertise API ${apiKey}`);
    return vs[vs.length - 1]!;
  }

  /** The highest shared version within [min, max], or skips. */
  versionIn(apiKey: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const vs = this.versions(apiKey).filter((v) => v >= min && v <= max);
    if (vs.length === 0) skip(`the broker advertises no version of API ${apiKey} in ${min}-${max}`);
    return vs[vs.length - 1]!;
  }

  addressOf(nodeId: number): string {
    const b = this.brokers.get(nodeId);
    if (!b) throw new Error(`broker ${nodeId} is not in the cluster metadata`);
    return `${b.host}:${b.port}`;
  }

  topicName(label: string): string {
    return `conformance-${this.runId}-${label}`;
  }

  /** A topic shared by the checks that ask for the same label (created once). */
  fixture(label: string, spec: TopicSpec = {}): Promise<TopicInfo> {
    let p = this.fixtures.get(label);
    if (!p) {
      p = this.createTopic(this.topicName(label), spec);
      p.catch(() => this.fixtures.delete(label));
      this.fixtures.set(label, p);
    }
    return p;
  }

  /** Creates a topic and waits until Metadata shows a leader for every partition. */
  async createTopic(name: string, spec: TopicSpec = {}): Promise<TopicInfo> {
    const partitions = spec.partitions ?? 1;
    const configs = Object.entries(spec.configs ?? {});
    const c = await KafkaConnection.connect(this.bootstrap);
    try {
      if (this.has(CREATE_TOPICS)) {
        const v = this.maxVersion(CREATE_TOPICS);
        const res = await c.request(
          CREATE_TOPICS,
          v,
          {
            topics: [{ name, numPartitions: partitions, replicationFactor: v >= 4 ? -1 : 1, assignments: [], configs: configs.map(([n, value]) => ({ name: n, value })) }],
            timeoutMs: this.timeoutMs,
            validateOnly: false,
          },
          { timeoutMs: this.timeoutMs },
        );
        const r = res.topics[0];
        if (!r || (r.errorCode !== 0 && r.errorCode !== TOPIC_ALREADY_EXISTS)) {
          throw new Error(`cannot create topic ${name}: error ${r?.errorCode} ${r?.errorMessage ?? ''}`);
        }
      } else {
        if (configs.length > 0) skip('topic configs need CreateTopics, which the broker does not advertise');
        await this.metadata(c, [name], true);
      }
      this.created.add(name);
      const info = await poll(async () => {
        const t = await this.describeTopic(name, c);
        return t && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0) ? t : undefined;
      }, 10_000);
      if (!info) throw new Error(`topic ${name} has no leaders 10 s after creation`);
      return info;
    } finally {
      c.close();
    }
  }

  private async metadata(c: KafkaConnection, names: string[], allowAuto: boolean) {
    const v = this.maxVersion(METADATA);
    const body = { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), ...(v >= 4 ? { allowAutoTopicCreation: allowAuto } : {}) };
    return c.request(METADATA, v, body, { timeoutMs: this.timeoutMs });
  }

  /** The topic as Metadata shows it now, or null when unknown. */
  async describeTopic(name: string, conn?: KafkaConnection): Promise<TopicInfo | null> {
    const c = conn ?? (await KafkaConnection.connect(this.bootstrap));
    try {
      const md = await this.metadata(c, [name], false);
      for (const b of md.brokers) this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
      const t = md.topics.find((x) => x.name === name);
      if (!t || t.errorCode !== 0) return null;
      return {
        name,
        id: t.topicId,
        partitions: [...t.partitions]
          .sort((a, b) => a.partitionIndex - b.partitionIndex)
          .map((p) => ({ index: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch })),
      };
    } finally {
      if (!conn) c.close();
    }
  }

  /** Remembers a topic a check created itself, so the run deletes it at the end. */
  track(name: string): void {
    this.created.add(name);
  }

  /** Runs fn when the run ends, before its topics are deleted (to end what a fixture left open). */
  onCleanup(fn: () => Promise<void>): void {
    this.cleanups.push(fn);
  }

  /** Runs the cleanup hooks, then deletes every topic the run created (best effort). */
  async cleanup(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) {
      try {
        await fn();
      } catch {
        // Best effort, like the topic deletion below.
      }
    }
    if (!this.has(DELETE_TOPICS) || this.created.size === 0) return;
    const names = [...this.created];
    this.created.clear();
    const c = await KafkaConnection.connect(this.bootstrap);
    try {
      const v = this.maxVersion(DELETE_TOPICS);
      await c.request(
        DELETE_TOPICS,
        v,
        { topics: names.map((name) => ({ name, topicId: ZERO_UUID })), topicNames: names, timeoutMs: this.timeoutMs },
        { timeoutMs: this.timeoutMs },
      );
    } catch {
      // Cleanup is best effort; the run's verdict does not depend on it.
    } finally {
      c.close();
    }
  }
}

/**
 * The connections one check uses, closed when the check ends. `conn()` is
 * the check's bootstrap connection; `leader()` the one to a partition's
 * leader; `fresh()` a new one for requests that may get it closed.
 */
export class CheckContext {
  private readonly open: KafkaConnection[] = [];
  private readonly byNode = new Map<number | 'bootstrap', Promise<KafkaConnection>>();

  constructor(
    readonly suite: Suite,
    /** Unknown tagged fields every flexible request of this check carries. */
    readonly injectTags?: TaggedField[],
  ) {}

  private track(p: Promise<KafkaConnection>): Promise<KafkaConnection> {
    return p.then((c) => {
      c.injectTags = this.injectTags;
      this.open.push(c);
      return c;
    });
  }

  /** A new connection to any address (a coordinator the cluster named). */
  connectTo(address: string): Promise<KafkaConnection> {
    return this.track(KafkaConnection.connect(address));
  }

  fresh(nodeId?: number): Promise<KafkaConnection> {
    const address = nodeId === undefined ? this.suite.bootstrap : this.suite.addressOf(nodeId);
    return this.track(KafkaConnection.connect(address));
  }

  conn(nodeId?: number): Promise<KafkaConnection> {
    const key = nodeId ?? 'bootstrap';
    let p = this.byNode.get(key);
    if (!p) {
      p = this.fresh(nodeId);
      this.byNode.set(key, p);
    }
    return p;
  }

  /** The connection to the leader of topic's partition. */
  leader(topic: TopicInfo, partition = 0): Promise<KafkaConnection> {
    const p = topic.partitions[partition];
    if (!p) throw new Error(`topic ${topic.name} has no partition ${partition}`);
    return this.suite.brokers.has(p.leader) ? this.conn(p.leader) : this.conn();
  }

  close(): void {
    for (const c of this.open.splice(0)) c.close();
    this.byNode.clear();
  }
}

export type { ApiKeyOf };
