/**
 * Krill's embeddable API: start a broker in-process (port 0, a temp dir by
 * default), get its bootstrap address, stop it; or an N-node cluster
 * (startCluster), each node a controller voter and a broker.
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
import { KrillNode } from './node.js';
import { BrokerConfig } from './config/broker-config.js';
import type { QuorumController } from './controller/quorum-controller.js';
import { freePorts } from './platform/free-port.js';

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
  /** Number of broker nodes (ids 1..nodes); each is also a controller voter unless `controllers` is set. */
  nodes: number;
  /**
   * Run the metadata quorum on this many dedicated controller-only nodes
   * (ids 101..100+controllers, process.roles=controller) instead of on the
   * brokers, so brokers can come and go without touching the quorum.
   */
  controllers?: number;
}

export interface RunningCluster {
  /** host:port of every running node, comma separated (a client bootstrap list). */
  readonly bootstrap: string;
  /** The running broker nodes by id (a stopped node is absent until restarted). */
  readonly nodes: ReadonlyMap<number, KrillNode>;
  /** The running controller-only nodes by id (empty when the brokers are the voters). */
  readonly controllerNodes: ReadonlyMap<number, KrillNode>;
  /** The active controller (the metadata quorum leader's), or node 1's while there is none. */
  readonly controller: QuorumController;
  readonly dataDir: string;
  node(id: number): KrillNode;
  /** Resolves with the active controller once a running node is it (rejects after timeoutMs). */
  activeController(timeoutMs?: number): Promise<QuorumController>;
  /**
   * Stops one node: a controlled shutdown, or (controlled: false) as if it
   * crashed; then the active controller fences it at once, as it would when
   * its session ran out.
   */
  stopNode(id: number, opts?: { controlled?: boolean }): Promise<void>;
  /** Starts a stopped node again on its data dir and ports. */
  startNode(id: number): Promise<KrillNode>;
  /** Stops every node; removes the temp data dir if Krill made it. */
  stop(): Promise<void>;
}

const CLUSTER_READY_MS = 60_000;

/**
 * Starts an in-process cluster of N nodes (ids 1..N) on 127.0.0.1, each
 * with its own data dir under dataDir (node-<id>), its own client listener
 * on port 0 and its own CONTROLLER listener (a fixed free port, since
 * controller.quorum.voters names it): N voters of one Raft metadata quorum
 * and N brokers, exactly as N processes would run. With `controllers`, the
 * quorum runs on that many controller-only nodes instead. Resolves once a
 * controller is active and every broker is unfenced.
 */
export async function startCluster(opts: ClusterOptions): Promise<RunningCluster> {
  const owned = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'krill-cluster-'));
  const logger = opts.logger ?? pino({ level: process.env.KRILL_LOG_LEVEL ?? 'error' });
  const clusterId = randomBytes(16).toString('base64url');
  const ids = Array.from({ length: opts.nodes }, (_, i) => i + 1);
  const dedicated = opts.controllers ?? 0;
  const voterIds = dedicated > 0 ? Array.from({ length: dedicated }, (_, i) => 101 + i) : ids;
  const ports = new Map((await freePorts(voterIds.length)).map((p, i) => [voterIds[i]!, p] as const));
  const voters = voterIds.map((id) => `${id}@127.0.0.1:${ports.get(id)}`).join(',');
  /** A restarted node binds its earlier client port again, so clients' bootstrap lists stay valid. */
  const clientPorts = new Map<number, number>();
  const configOf = (id: number): BrokerConfig => {
    const controller = voterIds.includes(id);
    const broker = ids.includes(id);
    const listeners = [broker ? `PLAINTEXT://127.0.0.1:${clientPorts.get(id) ?? 0}` : null, controller ? `CONTROLLER://127.0.0.1:${ports.get(id)}` : null].filter(Boolean).join(',');
    return new BrokerConfig({
      'cluster.id': clusterId,
      'controller.listener.names': 'CONTROLLER',
      ...opts.config,
      'process.roles': [broker ? 'broker' : null, controller ? 'controller' : null].filter(Boolean).join(','),
      listeners,
      'controller.quorum.voters': voters,
      'node.id': id,
      'log.dirs': join(dataDir, `node-${id}`),
    });
  };
  const nodes = new Map<number, KrillNode>();
  const controllerNodes = new Map<number, KrillNode>();
  const start = async (id: number): Promise<KrillNode> => {
    mkdirSync(join(dataDir, `node-${id}`), { recursive: true });
    const node = await KrillNode.start({ config: configOf(id), logger: logger.child({ node: id }) });
    (ids.includes(id) ? nodes : controllerNodes).set(id, node);
    const port = node.boundListeners[0]?.port;
    if (port !== undefined) clientPorts.set(id, port);
    return node;
  };
  const all = (): KrillNode[] => [...controllerNodes.values(), ...nodes.values()];
  const activeController = async (timeoutMs = CLUSTER_READY_MS): Promise<QuorumController> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const active = all().find((n) => n.controller.isActive());
      if (active) return active.controller;
      if (Date.now() > deadline) throw new Error(`no active controller among nodes ${[...nodes.keys()].join(',')} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const stopAll = async (): Promise<void> => {
    for (const n of all().reverse()) await n.stop({ controlled: false }).catch(() => undefined);
    nodes.clear();
    controllerNodes.clear();
  };
  try {
    await Promise.all([...new Set([...voterIds, ...ids])].map((id) => start(id)));
    await activeController();
    await withTimeout(Promise.all([...nodes.values()].map((n) => n.whenUnfenced())), CLUSTER_READY_MS, 'brokers were not all unfenced');
  } catch (err) {
    await stopAll();
    if (owned) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const rebalance = leaderRebalanceTimer(configOf(1), () => all().find((n) => n.controller.isActive())?.controller, logger);
  return {
    get bootstrap() {
      return [...nodes.values()].map((n) => n.bootstrap).join(',');
    },
    nodes,
    controllerNodes,
    get controller() {
      const active = all().find((n) => n.controller.isActive()) ?? all()[0];
      if (!active) throw new Error('no node is running');
      return active.controller;
    },
    dataDir,
    node(id) {
      const n = nodes.get(id);
      const n2 = n ?? controllerNodes.get(id);
      if (!n2) throw new Error(`node ${id} is not running`);
      return n2;
    },
    activeController,
    async stopNode(id, o = {}) {
      const n = nodes.get(id) ?? controllerNodes.get(id);
      if (!n) return;
      nodes.delete(id);
      controllerNodes.delete(id);
      await n.stop(o);
      if (!ids.includes(id) || nodes.size === 0) return;
      await (await activeController()).fenceBroker(id);
      // Every running node's image shows it fenced before this resolves (as with one shared image).
      await waitUntil(() => [...nodes.values()].every((x) => x.image().brokers.get(id)?.fenced !== false), CLUSTER_READY_MS, `node ${id} fenced everywhere`);
    },
    async startNode(id) {
      const node = await start(id);
      await withTimeout(node.whenUnfenced(), CLUSTER_READY_MS, `node ${id} was not unfenced`);
      return node;
    },
    async stop() {
      if (rebalance) clearInterval(rebalance);
      // Brokers first (controlled shutdowns while a quorum is still up), then the controller-only nodes.
      for (const n of [...nodes.values()].reverse()) await n.stop();
      for (const n of [...controllerNodes.values()].reverse()) await n.stop();
      nodes.clear();
      controllerNodes.clear();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** auto.leader.rebalance.enable (default true): preferred leaders back every leader.imbalance.check.interval.seconds, on the active controller. */
function leaderRebalanceTimer(config: BrokerConfig, active: () => QuorumController | undefined, logger: Logger): NodeJS.Timeout | null {
  if ((config.raw('auto.leader.rebalance.enable') ?? 'true') !== 'true') return null;
  const seconds = Number(config.raw('leader.imbalance.check.interval.seconds') ?? 300);
  const timer = setInterval(() => {
    active()?.balanceLeaders().catch((err: unknown) => logger.warn({ err }, 'leader rebalance failed'));
  }, Math.max(1, seconds) * 1000);
  timer.unref();
  return timer;
}
