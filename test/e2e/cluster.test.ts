/**
 * A 3-node in-process cluster (startCluster): each node a Raft voter of the
 * metadata quorum and a broker, talking over the Kafka protocol on their
 * CONTROLLER listeners. One smoke test of the whole path: election,
 * registration and unfencing, a change forwarded from a follower and seen
 * on every node, listener-scoped APIs, DescribeQuorum, failover after the
 * active controller dies, and a restarted node catching up. The long
 * multi-process versions are in test/slow/cluster.test.ts (npm run
 * test:cluster).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

let cluster: RunningCluster;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 60_000);

const controllerAddress = (id: number): string => {
  const voters = cluster.node(id).config.raw('controller.quorum.voters')!;
  return voters.split(',').find((v) => v.startsWith(`${id}@`))!.slice(`${id}@`.length);
};

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('3-node cluster (in process)', () => {
  it('elects one active controller and registers every broker unfenced', async () => {
    const active = [...cluster.nodes.values()].filter((n) => n.controller.isActive());
    expect(active).toHaveLength(1);
    for (const n of cluster.nodes.values()) {
      await until('all brokers live on every node', () => n.image().liveBrokers().length === 3);
      expect(n.controller.quorum.status().leaderId).toBe(active[0]!.nodeId);
    }
  });

  it('forwards a topic creation from a follower and shows it on every node', async () => {
    const follower = [...cluster.nodes.values()].find((n) => !n.controller.isActive())!;
    const [r] = await follower.controller.createTopics([{ name: 'fwd', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [] }], false);
    expect(r).toMatchObject({ errorCode: 0, numPartitions: 3, replicationFactor: 3 });
    expect(follower.image().topic('fwd')?.partitions).toHaveLength(3);
    for (const n of cluster.nodes.values()) await until(`fwd on node ${n.nodeId}`, () => n.image().topic('fwd'));
  });

  it('serves Raft APIs on the CONTROLLER listener only, DescribeQuorum on both', async () => {
    const id = cluster.nodes.keys().next().value!;
    const client = await RawClient.connect(cluster.node(id).bootstrap);
    const ctl = await RawClient.connect(controllerAddress(id));
    try {
      const onClient = (await client.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys.map((k) => k.apiKey);
      const onController = (await ctl.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' })).apiKeys.map((k) => k.apiKey);
      expect(onClient).toContain(55);
      expect(onClient).not.toContain(52);
      expect(onClient).not.toContain(63);
      expect(onController).toEqual(expect.arrayContaining([1, 18, 19, 52, 53, 54, 55, 59, 62, 63]));
      expect(onController).not.toContain(0);
      const dq = await client.request(55, 2, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] });
      const p = dq.topics[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      expect(p.currentVoters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
      expect(p.highWatermark).toBeGreaterThan(0n);
    } finally {
      client.close();
      ctl.close();
    }
  });

  it('elects a new controller when the active one dies, keeps taking changes, and the dead node catches up on restart', async () => {
    const old = [...cluster.nodes.values()].find((n) => n.controller.isActive())!;
    const oldId = old.nodeId;
    const t0 = Date.now();
    await cluster.stopNode(oldId, { controlled: false });
    const next = await cluster.activeController(30_000);
    const electedMs = Date.now() - t0;
    expect(electedMs).toBeLessThan(30_000);
    const [r] = await next.createTopics([{ name: 'after-failover', numPartitions: 1, replicationFactor: 2, assignments: [], configs: [] }], false);
    expect(r?.errorCode).toBe(0);
    const back = await cluster.startNode(oldId);
    await until('the restarted node has the new topic', () => back.image().topic('after-failover'));
    expect(back.controller.isActive()).toBe(false);
    expect(back.image().topic('fwd')).toBeDefined();
  }, 90_000);
});

describe('3-node cluster: snapshots and broker sessions', () => {
  let c: RunningCluster;

  beforeAll(async () => {
    c = await startCluster({ nodes: 3, config: { 'metadata.log.max.record.bytes.between.snapshots': 2000, 'broker.session.timeout.ms': 1500, 'broker.heartbeat.interval.ms': 300 } });
  }, 60_000);

  afterAll(async () => {
    await c?.stop();
  }, 60_000);

  it('a node that missed more than the leader keeps in its log catches up from the leader\'s snapshot', async () => {
    const active = await c.activeController();
    const behind = [...c.nodes.values()].find((n) => n.controller !== active)!.nodeId;
    await c.stopNode(behind, { controlled: false });
    const leader = await c.activeController();
    for (let i = 0; i < 20; i++) {
      const [r] = await leader.createTopics([{ name: `snap-${i}`, numPartitions: 2, replicationFactor: 2, assignments: [], configs: [] }], false);
      expect(r?.errorCode).toBe(0);
    }
    const storage = leader.quorum.storage;
    await until('a snapshot on the leader', () => storage.firstIndex() > 1);
    const back = await c.startNode(behind);
    await until('the restarted node has every topic', () => back.image().topic('snap-19'));
    expect(back.controller.quorum.storage.firstIndex()).toBeGreaterThan(1); // it installed a snapshot
    expect([...back.image().topics.keys()].sort()).toEqual([...leader.image().topics.keys()].sort());
  }, 90_000);

  it('fences a broker whose heartbeats stop and moves its leaderships to the ISR', async () => {
    const leader = await c.activeController();
    const victim = [...c.nodes.values()].find((n) => n.controller !== leader)!;
    const id = victim.nodeId;
    const others = [...c.nodes.keys()].filter((x) => x !== id);
    const [r] = await leader.createTopics([{ name: 'sessions', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [id, ...others] }], configs: [] }], false);
    expect(r?.errorCode).toBe(0);
    expect(leader.image().partition('sessions', 0)?.leader).toBe(id);
    await victim.stop({ controlled: false }); // no controlled shutdown: only the missing heartbeats tell
    await until('the victim fenced by session expiry', () => leader.image().brokers.get(id)?.fenced, 15_000);
    const parts = leader.image().topic('sessions')!.partitions;
    expect(parts.every((p) => p.leader !== id && !p.isr.includes(id))).toBe(true);
    await c.startNode(id);
    await until('the victim unfenced again', () => leader.image().brokers.get(id)?.fenced === false);
  }, 90_000);
});
