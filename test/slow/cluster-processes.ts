/**
 * A Krill cluster of real processes on 127.0.0.1 for the multi-process
 * tests: one `krill start` per node (test/slow/broker-process.ts), with
 * the KRaft settings a user would give: node.id, process.roles, a client
 * listener and/or a CONTROLLER listener, controller.quorum.voters, a shared
 * cluster.id. Helpers speak the Kafka protocol to the nodes: DescribeQuorum
 * to find the leader, CreateTopics and Metadata to change and read the
 * metadata.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerProcess, freePort } from './broker-process.js';
import { RawClient } from '../helpers/raw-client.js';

export interface NodeSpec {
  readonly id: number;
  readonly broker: boolean;
  readonly controller: boolean;
}

interface RunningNode {
  spec: NodeSpec;
  proc: BrokerProcess | null;
  clientPort: number;
  controllerPort: number;
}

export class ProcessCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'krill-proc-cluster-'));
  readonly #nodes = new Map<number, RunningNode>();
  #voters = '';

  private constructor(private readonly extra: Record<string, string | number>) {}

  /** Plans ports for the specs; `start` launches them. */
  static async create(specs: NodeSpec[], extra: Record<string, string | number> = {}): Promise<ProcessCluster> {
    const c = new ProcessCluster(extra);
    for (const spec of specs) c.#nodes.set(spec.id, { spec, proc: null, clientPort: await freePort(), controllerPort: await freePort() });
    c.#voters = specs
      .filter((s) => s.controller)
      .map((s) => `${s.id}@127.0.0.1:${c.#nodes.get(s.id)!.controllerPort}`)
      .join(',');
    return c;
  }

  /** n nodes with both roles (ids 1..n). */
  static combined(n: number, extra: Record<string, string | number> = {}): Promise<ProcessCluster> {
    return ProcessCluster.create(Array.from({ length: n }, (_, i) => ({ id: i + 1, broker: true, controller: true })), extra);
  }

  get ids(): number[] {
    return [...this.#nodes.keys()];
  }

  get voterIds(): number[] {
    return [...this.#nodes.values()].filter((n) => n.spec.controller).map((n) => n.spec.id);
  }

  get brokerIds(): number[] {
    return [...this.#nodes.values()].filter((n) => n.spec.broker).map((n) => n.spec.id);
  }

  running(id: number): boolean {
    return this.#nodes.get(id)?.proc !== null;
  }

  clientAddress(id: number): string {
    return `127.0.0.1:${this.#nodes.get(id)!.clientPort}`;
  }

  controllerAddress(id: number): string {
    return `127.0.0.1:${this.#nodes.get(id)!.controllerPort}`;
  }

  /** An address that answers DescribeQuorum for this node (its client listener, else its controller listener). */
  address(id: number): string {
    return this.#nodes.get(id)!.spec.broker ? this.clientAddress(id) : this.controllerAddress(id);
  }

  start(id: number): void {
    const n = this.#nodes.get(id)!;
    const listeners = [n.spec.broker ? `PLAINTEXT://127.0.0.1:${n.clientPort}` : null, n.spec.controller ? `CONTROLLER://127.0.0.1:${n.controllerPort}` : null].filter(Boolean).join(',');
    n.proc = BrokerProcess.start(join(this.dir, `node-${id}`), n.clientPort, {
      'node.id': id,
      'process.roles': [n.spec.broker ? 'broker' : null, n.spec.controller ? 'controller' : null].filter(Boolean).join(','),
      listeners,
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.voters': this.#voters,
      'cluster.id': 'krill-process-cluster-test',
      ...this.extra,
    });
  }

  startAll(): void {
    for (const id of this.ids) this.start(id);
  }

  async kill(id: number): Promise<void> {
    const n = this.#nodes.get(id)!;
    await n.proc?.kill();
    n.proc = null;
  }

  output(id: number): string {
    return this.#nodes.get(id)?.proc?.output ?? '';
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#nodes.values()].map(async (n) => {
      await n.proc?.kill();
      n.proc = null;
    }));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** The quorum as node `id` sees it: leader and epoch (NOT_LEADER answers carry them too), or null when unreachable. */
  async quorum(id: number, timeoutMs = 1500): Promise<{ leaderId: number; epoch: number; highWatermark: number; errorCode: number } | null> {
    let c: RawClient | null = null;
    try {
      c = await RawClient.connect(this.address(id), { timeoutMs });
      const r = await c.request(55, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] }, { timeoutMs });
      const p = r.topics[0]?.partitions[0];
      return p ? { leaderId: p.leaderId, epoch: p.leaderEpoch, highWatermark: Number(p.highWatermark), errorCode: p.errorCode } : null;
    } catch {
      return null;
    } finally {
      c?.close();
    }
  }

  /** Polls the running voters until one reports a leader (other than `not`) with epoch > `afterEpoch`; returns it and how long that took. */
  async waitForLeader(opts: { not?: number; afterEpoch?: number; timeoutMs?: number } = {}): Promise<{ leaderId: number; epoch: number; ms: number }> {
    const t0 = Date.now();
    const deadline = t0 + (opts.timeoutMs ?? 60_000);
    for (;;) {
      for (const id of this.ids.filter((i) => this.running(i))) {
        const q = await this.quorum(id, 500);
        if (q && q.errorCode === 0 && q.leaderId >= 0 && q.leaderId !== opts.not && q.epoch > (opts.afterEpoch ?? -1)) return { leaderId: q.leaderId, epoch: q.epoch, ms: Date.now() - t0 };
      }
      if (Date.now() > deadline) throw new Error(`no leader within ${opts.timeoutMs ?? 60_000} ms\n${this.ids.map((i) => `--- node ${i}\n${this.output(i)}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** CreateTopics on node `id`; the topic's error code (REQUEST_TIMED_OUT or NOT_CONTROLLER when no controller commits). */
  async createTopic(id: number, name: string, partitions = 1, rf = 1, timeoutMs = 30_000): Promise<number> {
    const c = await RawClient.connect(this.clientAddress(id), { timeoutMs: 2000 });
    try {
      // The node may hold the answer while it looks for a controller (up to 15 s), whatever timeoutMs says.
      const r = await c.request(19, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: [] }], timeoutMs }, { timeoutMs: Math.max(timeoutMs, 20_000) + 10_000 });
      return r.topics[0]!.errorCode;
    } finally {
      c.close();
    }
  }

  /** Topic names and live broker ids in node `id`'s Metadata answer. */
  async metadata(id: number): Promise<{ topics: string[]; brokers: number[] }> {
    const c = await RawClient.connect(this.clientAddress(id), { timeoutMs: 2000 });
    try {
      const r = await c.request(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { timeoutMs: 10_000 });
      return { topics: r.topics.map((t) => t.name!).sort(), brokers: r.brokers.map((b) => b.nodeId).sort() };
    } finally {
      c.close();
    }
  }

  /** Waits until node `id` lists every topic in `names` (and, if given, exactly these live brokers). */
  async waitForMetadata(id: number, names: string[], brokers?: number[], timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = null;
    for (;;) {
      try {
        const m = await this.metadata(id);
        last = m;
        if (names.every((n) => m.topics.includes(n)) && (!brokers || JSON.stringify(m.brokers) === JSON.stringify([...brokers].sort()))) return;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`node ${id} metadata never showed ${names.join(',')} / brokers ${brokers?.join(',')}: last ${JSON.stringify(last)}\n${this.output(id)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Median and 99th percentile (nearest rank) of a list of numbers. */
export function percentiles(xs: number[]): { median: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { median: rank(0.5), p99: rank(0.99), max: s[s.length - 1]! };
}
