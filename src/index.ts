/**
 * Krill's embeddable API: start a broker in-process (port 0, a temp dir by
 * default), get its bootstrap address, stop it.
 *
 *   import { startKrill } from 'krill';
 *   const krill = await startKrill();
 *   const kafka = new Kafka({ brokers: [krill.bootstrap] });
 *   ...
 *   await krill.stop();
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { KrillNode, METADATA_LOG_NAME } from './node.js';
import { BrokerConfig } from './config/broker-config.js';
import { QuorumController } from './controller/quorum-controller.js';
import { PartitionLog } from './log/partition-log.js';
import { resolveLogConfig } from './log/log-config.js';

export { KrillNode } from './node.js';
export { BrokerConfig } from './config/broker-config.js';
export { ErrorCode, KafkaError } from './api/error-codes.js';

export interface StartOptions {
  /** Kafka config names and values, e.g. { 'num.partitions': 3 }. */
  config?: Record<string, string | number | boolean>;
  /** Data directory; a fresh temp dir (removed on stop) when omitted. */
  dataDir?: string;
  logger?: Logger;
}

export interface RunningKrill {
  /** host:port for clients. */
  readonly bootstrap: string;
  readonly node: KrillNode;
  readonly dataDir: string;
  /** Clean shutdown; removes the temp data dir if Krill made it. */
  stop(): Promise<void>;
}

export async function startKrill(opts: StartOptions = {}): Promise<RunningKrill> {
  const owned = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'krill-'));
  const config = new BrokerConfig({
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': dataDir,
    ...opts.config,
  });
  const node = await KrillNode.start({ config, logger: opts.logger });
  return {
    bootstrap: node.bootstrap,
    node,
    dataDir,
    async stop() {
      await node.stop();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ClusterOptions extends StartOptions {
  /** Number of broker nodes (ids 1..nodes). */
  nodes: number;
}

export interface RunningCluster {
  /** host:port of every running node, comma separated (a client bootstrap list). */
  readonly bootstrap: string;
  /** The running nodes by id (a stopped node is absent until restarted). */
  readonly nodes: ReadonlyMap<number, KrillNode>;
  /** The controller every node shares (until the Raft quorum replaces it). */
  readonly controller: QuorumController;
  readonly dataDir: string;
  node(id: number): KrillNode;
  /** Stops one node: a controlled shutdown, or (controlled: false) as if it crashed, then fences it like a lost session. */
  stopNode(id: number, opts?: { controlled?: boolean }): Promise<void>;
  /** Starts a stopped node again on its data dir. */
  startNode(id: number): Promise<KrillNode>;
  /** Stops every node and the controller; removes the temp data dir if Krill made it. */
  stop(): Promise<void>;
}

/**
 * Starts an in-process cluster of N brokers (ids 1..N) on port 0, each with
 * its own log dir under dataDir (node-<id>), sharing ONE in-process
 * controller whose metadata log lives in node 1's dir. This stands in for
 * the Raft controller quorum until it lands: the brokers replicate to each
 * other over TCP like separate processes would.
 */
export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const owned = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'krill-cluster-'));
  const logger = opts.logger ?? pino({ level: process.env.KRILL_LOG_LEVEL ?? 'error' });
  const clusterId = randomBytes(16).toString('base64url');
  /** A restarted node binds its earlier port again, so clients' bootstrap lists stay valid. */
  const ports = new Map<number, number>();
  const configOf = (id: number): BrokerConfig =>
    new BrokerConfig({
      'cluster.id': clusterId,
      listeners: `PLAINTEXT://127.0.0.1:${ports.get(id) ?? 0}`,
      ...opts.config,
      'node.id': id,
      'log.dirs': join(dataDir, `node-${id}`),
    });
  const first = configOf(1);
  mkdirSync(first.logDirs[0] as string, { recursive: true });
  const metadataLog = await PartitionLog.open(join(first.logDirs[0] as string, METADATA_LOG_NAME), resolveLogConfig({ segmentBytes: 64 * 1024 * 1024 }), logger.child({ component: 'metadata-log' }));
  const controller = new QuorumController(first, metadataLog, logger.child({ component: 'controller' }));
  await controller.load();
  const nodes = new Map<number, KrillNode>();
  const start = async (id: number): Promise<KrillNode> => {
    const node = await KrillNode.start({ config: configOf(id), logger: logger.child({ node: id }), controller });
    nodes.set(id, node);
    const port = node.boundListeners[0]?.port;
    if (port !== undefined) ports.set(id, port);
    return node;
  };
  const rebalance = leaderRebalanceTimer(first, controller, logger);
  try {
    for (let id = 1; id <= opts.nodes; id++) await start(id);
  } catch (err) {
    for (const n of nodes.values()) await n.stop({ controlled: false }).catch(() => undefined);
    await metadataLog.close();
    throw err;
  }
  return {
    get bootstrap() {
      return [...nodes.values()].map((n) => n.bootstrap).join(',');
    },
    nodes,
    controller,
    dataDir,
    node(id) {
      const n = nodes.get(id);
      if (!n) throw new Error(`node ${id} is not running`);
      return n;
    },
    async stopNode(id, o = {}) {
      const n = nodes.get(id);
      if (!n) return;
      nodes.delete(id);
      await n.stop(o);
      await controller.fenceBroker(id);
    },
    startNode: start,
    async stop() {
      if (rebalance) clearInterval(rebalance);
      for (const n of [...nodes.values()].reverse()) await n.stop();
      nodes.clear();
      await metadataLog.close();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** auto.leader.rebalance.enable (default true): preferred leaders back every leader.imbalance.check.interval.seconds. */
function leaderRebalanceTimer(config: BrokerConfig, controller: QuorumController, logger: Logger): NodeJS.Timeout | null {
  if ((config.raw('auto.leader.rebalance.enable') ?? 'true') !== 'true') return null;
  const seconds = Number(config.raw('leader.imbalance.check.interval.seconds') ?? 300);
  const timer = setInterval(() => {
    controller.balanceLeaders().catch((err: unknown) => logger.warn({ err }, 'leader rebalance failed'));
  }, Math.max(1, seconds) * 1000);
  timer.unref();
  return timer;
}
