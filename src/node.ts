/**
 * KrillNode: one Krill process's worth of broker and controller, wired
 * together. A single node is a cluster of one that is both controller and
 * broker (process.roles=broker,controller).
 *
 * Start-up: log dirs and meta.properties (cluster id, node id), the metadata
 * log replayed into an image, partition logs opened (recovery happens in the
 * log layer), stray logs of deleted topics removed, listeners bound (port 0
 * picks a free port), then this broker registered with its advertised
 * endpoints. stop() is the clean shutdown: listeners first, then logs closed
 * with their clean-shutdown markers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { BrokerConfig, ConfigError, parseListeners, parseProperties, type Listener } from './config/broker-config.js';
import { QuorumController } from './controller/quorum-controller.js';
import type { MetadataImage } from './controller/metadata-image.js';
import { LogManager } from './log/log-manager.js';
import { PartitionLog } from './log/partition-log.js';
import { resolveLogConfig } from './log/log-config.js';
import { ReplicaManager } from './replication/replica-manager.js';
import { controllerClient } from './replication/isr-manager.js';
import { KafkaListener } from './server/listener.js';
import type { BrokerServices } from './api/index.js';
import { ErrorCode } from './api/error-codes.js';
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from './txn/producer-id-manager.js';
import { GroupCoordinator } from './group/group-coordinator.js';
import { groupConfigFrom } from './group/group-config.js';
import { TxnCoordinator } from './txn/txn-coordinator.js';
import { txnConfigFrom } from './txn/txn-config.js';
import { LocalMarkerWriter } from './txn/txn-marker-writer.js';

export const METADATA_LOG_NAME = '__cluster_metadata-0';
const PLAINTEXT = 0;

export interface NodeOptions {
  config: BrokerConfig | Record<string, string | number | boolean>;
  logger?: Logger;
  /**
   * A controller shared by the nodes of an in-process cluster (startCluster)
   * until the Raft quorum replaces it: the node then neither opens nor
   * closes the metadata log.
   */
  controller?: QuorumController;
}

export class KrillNode implements BrokerServices {
  readonly nodeId: number;
  readonly config: BrokerConfig;
  readonly log: Logger;
  clusterId = '';
  controller!: QuorumController;
  replicas!: ReplicaManager;
  groups!: GroupCoordinator;
  producerIds!: ProducerIdManager;
  txns!: TxnCoordinator;
  txnMarkers!: LocalMarkerWriter;
  private logs!: LogManager;
  private metadataLog!: PartitionLog;
  private readonly listeners: KafkaListener[] = [];
  private advertised: Listener[] = [];
  private stopped = false;
  private readonly external: QuorumController | undefined;
  private stopImages: (() => void) | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;

  private constructor(opts: NodeOptions) {
    this.config = opts.config instanceof BrokerConfig ? opts.config : new BrokerConfig(opts.config);
    this.nodeId = this.config.nodeId;
    this.log = opts.logger ?? pino({ level: process.env.KRILL_LOG_LEVEL ?? 'error' });
    this.external = opts.controller;
  }

  static async start(opts: NodeOptions): Promise<KrillNode> {
    const node = new KrillNode(opts);
    try {
      await node.startUp();
    } catch (err) {
      await node.stop().catch(() => undefined);
      throw err;
    }
    return node;
  }

  image(): MetadataImage {
    return this.controller.image();
  }

  /** host:port of the first advertised listener. */
  get bootstrap(): string {
    const l = this.advertised[0];
    return `${l.host}:${l.port}`;
  }

  get boundListeners(): Listener[] {
    return this.advertised.slice();
  }

  private async startUp(): Promise<void> {
    const dirs = this.config.logDirs;
    if (dirs.length === 0) throw new ConfigError('log.dirs is empty: name at least one directory for partition data');
    for (const d of dirs) mkdirSync(d, { recursive: true });
    this.clusterId = this.loadMetaProperties(dirs);

    if (this.external) {
      this.controller = this.external;
    } else {
      const metaDir = this.config.raw('metadata.log.dir') ?? dirs[0];
      this.metadataLog = await PartitionLog.open(join(metaDir, METADATA_LOG_NAME), resolveLogConfig({ segmentBytes: 64 * 1024 * 1024 }), this.log.child({ component: 'metadata-log' }));
      this.controller = new QuorumController(this.config, this.metadataLog, this.log.child({ component: 'controller' }));
      await this.controller.load();
    }

    this.logs = new LogManager({ logDirs: dirs, defaultConfig: resolveLogConfig(), logger: this.log.child({ component: 'log' }), exclude: (name) => name === METADATA_LOG_NAME });
    await this.logs.open();
    this.replicas = new ReplicaManager(this.nodeId, this.logs, this.config, this.log.child({ component: 'replicas' }), { controller: controllerClient(this.controller) });
    await this.replicas.applyImage(this.controller.image());
    await this.deleteStrayLogs(this.controller.image());
    // Group coordinator: loads the __consumer_offsets partitions led here, follows leadership changes.
    this.groups = new GroupCoordinator({
      nodeId: this.nodeId,
      config: groupConfigFrom(this.config),
      replicas: this.replicas,
      image: () => this.controller.image(),
      log: this.log.child({ component: 'groups' }),
    });
    await this.groups.onImage(this.controller.image());
    this.producerIds = new ProducerIdManager(() => this.controller.allocateProducerIds(this.nodeId, PRODUCER_ID_BLOCK_SIZE));
    // Transaction coordinator: loads the __transaction_state partitions led here, finishes decided transactions.
    this.txnMarkers = new LocalMarkerWriter({ replicas: this.replicas, groups: this.groups, image: () => this.controller.image() });
    this.txns = new TxnCoordinator({
      nodeId: this.nodeId,
      config: txnConfigFrom(this.config),
      replicas: this.replicas,
      image: () => this.controller.image(),
      generateProducerId: () => this.producerIds.generate(),
      markers: this.txnMarkers,
      log: this.log.child({ component: 'txn' }),
    });
    this.replicas.setTxnVerifier((producerId, epoch, topic, partition) => this.txns.verifyForProduce(producerId, epoch, topic, partition));
    await this.txns.onImage(this.controller.image());
    this.stopImages = this.controller.onImage(async (img) => {
      await this.replicas.applyImage(img);
      await this.groups.onImage(img);
      await this.txns.onImage(img);
    });

    // log.flush.interval.ms: fsync logs whose unflushed data is older than their flush.ms.
    this.flushTimer = setInterval(() => {
      this.logs.flushDue().catch((err: unknown) => this.log.error({ err }, 'scheduled log flush failed'));
    }, 1000);
    this.flushTimer.unref();
    // Retention every log.retention.check.interval.ms, compaction every log.cleaner.backoff.ms; both also
    // remove `.deleted` segment files past file.delete.delay.ms. Retention stays below a partition's high
    // watermark, the cleaner below its last stable offset (open transactions are not compacted).
    const hwOf = (topic: string, partition: number): number | undefined => this.replicas.partition(topic, partition)?.highWatermark;
    const lsoOf = (topic: string, partition: number): number | undefined => this.replicas.partition(topic, partition)?.lastStableOffset;
    const intervalMs = (key: string, fallback: number): number => {
      const v = Number(this.config.raw(key) ?? fallback);
      if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${key} must be a positive integer (milliseconds)`);
      return v;
    };
    this.retentionTimer = setInterval(() => {
      this.logs.cleanupDue(Date.now(), hwOf).catch((err: unknown) => this.log.error({ err }, 'log retention round failed'));
    }, intervalMs('log.retention.check.interval.ms', 300_000));
    this.retentionTimer.unref();
    if (this.config.raw('log.cleaner.enable') !== 'false') {
      this.cleanerTimer = setInterval(() => {
        this.logs.cleanDue(Date.now(), lsoOf).catch((err: unknown) => this.log.error({ err }, 'log cleaner round failed'));
      }, intervalMs('log.cleaner.backoff.ms', 15_000));
      this.cleanerTimer.unref();
    }

    await this.startListeners();
    await this.controller.registerBroker({
      brokerId: this.nodeId,
      incarnationId: randomBytes(16).toString('base64url'),
      endpoints: this.advertised.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: PLAINTEXT })),
      rack: this.config.raw('broker.rack'),
    });
    this.log.info({ nodeId: this.nodeId, clusterId: this.clusterId, bootstrap: this.bootstrap }, 'Krill node started');
  }

  /** Reads or creates meta.properties in every log dir; all must agree on cluster and node id. */
  private loadMetaProperties(dirs: string[]): string {
    let clusterId = this.config.raw('cluster.id');
    const found: Array<[string, Map<string, string>]> = [];
    for (const d of dirs) {
      const f = join(d, 'meta.properties');
      if (existsSync(f)) found.push([f, parseProperties(readFileSync(f, 'utf8'))]);
    }
    for (const [f, props] of found) {
      const cid = props.get('cluster.id');
      const nid = props.get('node.id');
      if (nid !== undefined && Number(nid) !== this.nodeId) {
        throw new ConfigError(`${f} belongs to node.id ${nid}, but this node is node.id ${this.nodeId}: use that node id or another log dir`);
      }
      if (cid && clusterId && cid !== clusterId) {
        throw new ConfigError(`${f} belongs to cluster ${cid}, but this node is configured for cluster ${clusterId}`);
      }
      clusterId = cid ?? clusterId;
    }
    clusterId ??= randomBytes(16).toString('base64url');
    for (const d of dirs) {
      const f = join(d, 'meta.properties');
      if (!existsSync(f)) writeFileSync(f, `#Written by Krill\nversion=1\ncluster.id=${clusterId}\nnode.id=${this.nodeId}\n`);
    }
    return clusterId;
  }

  private async deleteStrayLogs(image: MetadataImage): Promise<void> {
    for (const l of this.logs.all()) {
      const t = image.topic(l.topic);
      const p = t?.partitions[l.partition];
      if (!p || !p.replicas.includes(this.nodeId)) {
        this.log.info({ topic: l.topic, partition: l.partition }, 'deleting a log whose partition is no longer assigned here');
        await this.logs.delete(l.topic, l.partition);
      }
    }
  }

  private async startListeners(): Promise<void> {
    const listeners = this.config.listeners;
    if (listeners.length === 0) throw new ConfigError('listeners is empty: give at least one, e.g. PLAINTEXT://127.0.0.1:9092');
    const controllerNames = new Set(this.config.list('controller.listener.names'));
    for (const l of listeners) {
      const listener = new KafkaListener(
        {
          host: l.host,
          port: l.port,
          listenerName: l.name,
          maxConnections: this.config.int('max.connections'),
          maxRequestBytes: this.config.int('socket.request.max.bytes'),
          queuedMaxRequests: this.config.int('queued.max.requests'),
          idleTimeoutMs: this.config.int('connections.max.idle.ms'),
        },
        this,
        this.log.child({ component: 'server' }),
      );
      await listener.start();
      this.listeners.push(listener);
    }
    const adv = this.config.list('advertised.listeners');
    const advertised = adv.length > 0 ? parseListeners(adv) : [];
    this.advertised = this.listeners
      .filter((l) => !controllerNames.has(l.name))
      .map((l) => {
        const a = advertised.find((x) => x.name === l.name);
        if (a) return a;
        const host = l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? '127.0.0.1' : l.host;
        return { name: l.name, host, port: l.boundPort };
      });
    if (this.advertised.length === 0) throw new ConfigError('no broker listener: every listener is a controller listener');
  }

  async autoCreateTopics(names: string[]): Promise<void> {
    const results = await this.controller.createTopics(
      names.map((name) => ({ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] })),
      false,
    );
    for (const r of results) {
      if (r.errorCode !== 0 && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        this.log.warn({ topic: r.name, errorCode: r.errorCode, message: r.errorMessage }, 'auto-creating a topic failed');
      }
    }
  }

  /**
   * Clean shutdown. With other live brokers, a controlled shutdown first
   * (Kafka's): fetchers stop and the controller moves leadership off this
   * broker and out of the ISRs. `controlled: false` skips that, as a crash
   * would (the controller learns of it only when told, e.g. fenceBroker).
   */
  async stop(opts: { controlled?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (opts.controlled !== false) await this.controlledShutdown();
    this.stopImages?.();
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    for (const l of this.listeners) await l.stop();
    await this.txns?.close();
    await this.groups?.close();
    await this.replicas?.close();
    await this.logs?.close();
    if (!this.external) await this.metadataLog?.close();
    this.log.info({ nodeId: this.nodeId }, 'Krill node stopped');
  }

  private async controlledShutdown(): Promise<void> {
    if (!this.replicas || !this.controller) return;
    if (!this.controller.image().liveBrokers().some((b) => b.id !== this.nodeId)) return;
    await this.replicas.stopFetchers();
    await this.controller.controlledShutdown(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'controlled shutdown failed; stopping anyway'));
  }
}
