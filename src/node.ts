/**
 * KrillNode: one Krill process's worth of broker and controller, wired
 * together. A single node is a cluster of one that is both controller and
 * broker (process.roles=broker,controller).
 *
 * Start-up: log dirs and meta.properties (cluster id, node id), the metadata
 * log opened (its snapshot gives the first image), partition logs opened
 * (recovery happens in the log layer), listeners bound (port 0 picks a free
 * port; CONTROLLER listeners serve the controller's APIs only), the Raft
 * node started (a quorum of this node alone elects itself and replays the
 * log before start-up goes on), then the broker registers with the active
 * controller and heartbeats (controller/broker-lifecycle.ts); stray logs of
 * deleted topics are removed once the controller has unfenced it, i.e. once
 * its image is current. process.roles=controller: no client listener and
 * no registration; broker: a Raft observer of the metadata log.
 * stop() is the clean shutdown: controlled shutdown and Raft leadership
 * handed over, listeners, the controller, then logs closed with their
 * clean-shutdown markers.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { BrokerConfig, ConfigError, parseListeners, parseProperties, type Listener } from './config/broker-config.js';
import { QuorumController } from './controller/quorum-controller.js';
import { BrokerLifecycle } from './controller/broker-lifecycle.js';
import { defaultClusterId, intSetting, rolesOf } from './controller/quorum-config.js';
import { systemClock } from './platform/clock.js';
import type { MetadataImage } from './controller/metadata-image.js';
import { LogManager } from './log/log-manager.js';
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
import { ClusterMarkerWriter } from './txn/cluster-marker-writer.js';

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
  /** Sends transaction markers to each partition's leader (local ones through txnMarkers). */
  private clusterMarkers: ClusterMarkerWriter | null = null;
  private logs!: LogManager;
  private readonly listeners: KafkaListener[] = [];
  private advertised: Listener[] = [];
  private stopped = false;
  private readonly external: QuorumController | undefined;
  private stopImages: (() => void) | null = null;
  private lifecycle: BrokerLifecycle | null = null;
  /** Client listeners hold requests until the broker is caught up (unfenced). */
  private openClients!: () => void;
  private readonly clientsReady = new Promise<void>((resolve) => (this.openClients = resolve));
  private flushTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private rebalanceTimer: NodeJS.Timeout | null = null;

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
      this.controller = await QuorumController.open(
        this.config,
        { nodeId: this.nodeId, clusterId: this.clusterId, dir: join(metaDir, METADATA_LOG_NAME) },
        this.log.child({ component: 'controller' }),
      );
    }

    this.logs = new LogManager({ logDirs: dirs, defaultConfig: resolveLogConfig(), logger: this.log.child({ component: 'log' }), exclude: (name) => name === METADATA_LOG_NAME });
    await this.logs.open();
    this.replicas = new ReplicaManager(this.nodeId, this.logs, this.config, this.log.child({ component: 'replicas' }), { controller: controllerClient(this.controller) });
    await this.replicas.applyImage(this.controller.image());
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
    this.clusterMarkers = new ClusterMarkerWriter({
      nodeId: this.nodeId,
      local: this.txnMarkers,
      image: () => this.controller.image(),
      listenerName: this.config.raw('inter.broker.listener.name'),
      // The leader answers once the marker is replicated (acks=all), so allow its append timeout and some.
      requestTimeoutMs: Number(this.config.raw('krill.replication.append.timeout.ms') ?? 30_000) + 5000,
      log: this.log.child({ component: 'txn-markers' }),
    });
    this.txns = new TxnCoordinator({
      nodeId: this.nodeId,
      config: txnConfigFrom(this.config),
      replicas: this.replicas,
      image: () => this.controller.image(),
      generateProducerId: () => this.producerIds.generate(),
      markers: this.clusterMarkers,
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

    // auto.leader.rebalance.enable (default true): the active controller moves leadership back to preferred
    // replicas every leader.imbalance.check.interval.seconds (default 300).
    if (!this.external && rolesOf(this.config).controller && (this.config.raw('auto.leader.rebalance.enable') ?? 'true') === 'true') {
      const seconds = Number(this.config.raw('leader.imbalance.check.interval.seconds') ?? 300);
      this.rebalanceTimer = setInterval(() => {
        if (this.controller.isActive()) this.controller.balanceLeaders().catch((err: unknown) => this.log.warn({ err }, 'leader rebalance failed'));
      }, Math.max(0.1, seconds) * 1000);
      this.rebalanceTimer.unref();
    }

    await this.startListeners();
    if (!this.external) await this.controller.start();
    if (rolesOf(this.config).broker) await this.startLifecycle();
    this.log.info({ nodeId: this.nodeId, clusterId: this.clusterId, bootstrap: this.advertised.length > 0 ? this.bootstrap : null }, 'Krill node started');
  }

  /**
   * Registers with the active controller and keeps the session. When this
   * node is the active controller (a quorum of one) start-up waits until it
   * is unfenced; in a larger quorum that happens in the background
   * (`whenUnfenced`). Stray logs go once the image is current.
   */
  private async startLifecycle(): Promise<void> {
    this.lifecycle = new BrokerLifecycle({
      registration: {
        brokerId: this.nodeId,
        clusterId: this.clusterId,
        incarnationId: randomBytes(16).toString('base64url'),
        listeners: this.advertised.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: PLAINTEXT })),
        rack: this.config.raw('broker.rack'),
      },
      controller: this.controller,
      clock: systemClock(),
      heartbeatIntervalMs: intSetting(this.config, 'broker.heartbeat.interval.ms'),
      logger: this.log.child({ component: 'broker-lifecycle' }),
    });
    this.lifecycle.start();
    const unfenced = this.lifecycle.whenUnfenced().then(async () => {
      try {
        if (!this.stopped) await this.deleteStrayLogs(this.controller.image());
      } finally {
        this.openClients();
      }
    });
    if (this.controller.isActive()) await unfenced;
    else unfenced.catch((err: unknown) => this.log.error({ err }, 'removing stray logs failed'));
  }

  /** Resolves once the controller has unfenced this broker (it serves as a live broker). */
  whenUnfenced(): Promise<void> {
    return this.lifecycle ? this.lifecycle.whenUnfenced() : Promise.resolve();
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
    clusterId ??= defaultClusterId(this.config) ?? randomBytes(16).toString('base64url');
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
    const roles = rolesOf(this.config);
    for (const l of listeners) {
      const isController = controllerNames.has(l.name);
      if (isController && !roles.controller) throw new ConfigError(`listener ${l.name} is a controller listener, but process.roles has no controller role`);
      if (!isController && !roles.broker) throw new ConfigError(`listener ${l.name} is a client listener, but process.roles=controller serves no clients (list it in controller.listener.names or drop it)`);
      const listener = new KafkaListener(
        {
          host: l.host,
          port: l.port,
          listenerName: l.name,
          scope: isController ? 'controller' : 'broker',
          ready: isController ? undefined : this.clientsReady,
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
    if (this.advertised.length === 0 && roles.broker) throw new ConfigError('no broker listener: every listener is a controller listener');
    if (roles.controller && this.controller.membership.addresses.size > 0 && !listeners.some((l) => controllerNames.has(l.name))) {
      throw new ConfigError(`controller.quorum.voters is set but no listener is named in controller.listener.names (${[...controllerNames].join(',')}): the other voters could not reach this one`);
    }
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
    await this.lifecycle?.stop();
    if (opts.controlled !== false && !this.external) await this.controller?.resignLeadership(2000);
    this.stopImages?.();
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.cleanerTimer) clearInterval(this.cleanerTimer);
    if (this.rebalanceTimer) clearInterval(this.rebalanceTimer);
    for (const l of this.listeners) await l.stop();
    if (!this.external) await this.controller?.stop();
    await this.txns?.close();
    this.clusterMarkers?.close();
    await this.groups?.close();
    await this.replicas?.close();
    await this.logs?.close();
    this.log.info({ nodeId: this.nodeId }, 'Krill node stopped');
  }

  private async controlledShutdown(): Promise<void> {
    if (!this.replicas || !this.controller) return;
    if (!this.controller.image().liveBrokers().some((b) => b.id !== this.nodeId)) return;
    await this.replicas.stopFetchers();
    if (this.lifecycle) {
      // KIP-631: a heartbeat with wantShutDown; the active controller (wherever it is) moves leadership off this broker.
      if (!(await this.lifecycle.controlledShutdown(5000))) this.log.warn('controlled shutdown not confirmed by the controller; stopping anyway');
      return;
    }
    await this.controller.controlledShutdown(this.nodeId).catch((err: unknown) => this.log.warn({ err }, 'controlled shutdown failed; stopping anyway'));
  }
}
