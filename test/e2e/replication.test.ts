/**
 * Replication over real TCP in an in-process 3-node cluster (startCluster):
 * RF=3 with min.insync.replicas=2. acks=all writes survive the leader's
 * loss, consumers never see a record that is later taken back, acks=all
 * fails with NOT_ENOUGH_REPLICAS with two brokers gone (acks=1 still
 * works), a follower truncates a divergent tail after a leader change,
 * the ISR shrinks and expands, and acks=all times out when the ISR does
 * not catch up. The long fault-injection loops are in test/slow
 * (npm run test:replication).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { Clients, consume, createTopic, leaderOf, produce, replicaLog, waitFor } from '../slow/replication-helpers.js';

const BASE = { 'replica.fetch.backoff.ms': 50, 'replica.fetch.wait.max.ms': 200, 'krill.fsync.before.ack': false };
let cluster: RunningCluster | null = null;
const clients = new Clients();

afterEach(async () => {
  clients.closeAll();
  await cluster?.stop();
  cluster = null;
});

async function start(config: Record<string, string | number | boolean> = {}, controllers?: number): Promise<RunningCluster> {
  cluster = await startCluster({ nodes: 3, controllers, config: { ...BASE, ...config } });
  return cluster;
}

async function topic(c: RunningCluster, name: string, configs: Record<string, string> = { 'min.insync.replicas': '2' }): Promise<number> {
  const admin = await clients.to(c.node(1));
  expect(await createTopic(admin, name, 1, 3, configs)).toBe(0);
  await waitFor(() => [...c.nodes.values()].every((n) => n.replicas.partition(name, 0) !== undefined), 'replicas created');
  return leaderOf(c, name);
}

const allValues = (n: number, prefix: string): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('replication', () => {
  it('replicates acks=all writes to every replica and moves the high watermark with the ISR', async () => {
    const c = await start();
    const leader = await topic(c, 'r1');
    const p = await clients.to(c.node(leader));
    for (let i = 0; i < 5; i++) expect((await produce(p, 'r1', 0, allValues(4, `b${i}-`), -1)).errorCode).toBe(0);
    const expected = (await replicaLog(c.node(leader), 'r1', 0)).map(([, v]) => v);
    expect(expected).toHaveLength(20);
    for (const id of [1, 2, 3]) {
      await waitFor(async () => (await replicaLog(c.node(id), 'r1', 0)).length === 20, `replica ${id} has the records`);
      expect((await replicaLog(c.node(id), 'r1', 0)).map(([, v]) => v)).toEqual(expected);
      expect(c.node(id).replicas.partition('r1', 0)!.epochs.entries).toEqual([{ epoch: 0, startOffset: 0 }]);
    }
    const got = await consume(p, 'r1', 0);
    expect(got.highWatermark).toBe(20);
    expect(got.values.map(([, v]) => v)).toEqual(expected);
  });

  it('answers NOT_LEADER_OR_FOLLOWER with the leader and its endpoint on a follower (KIP-951)', async () => {
    const c = await start();
    const leader = await topic(c, 'r2');
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const f = await clients.to(c.node(follower));
    const r = await produce(f, 'r2', 0, ['x'], -1);
    expect(r).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: leader, endpoints: [leader] });
  });

  it('acknowledged writes survive the leader crashing; the new leader comes from the ISR and the old one rejoins', async () => {
    const c = await start();
    const leader = await topic(c, 'r3');
    const p = await clients.to(c.node(leader));
    for (let i = 0; i < 10; i++) expect((await produce(p, 'r3', 0, [`a${i}`], -1)).errorCode).toBe(0);
    await c.stopNode(leader, { controlled: false });
    const next = leaderOf(c, 'r3');
    expect(next).not.toBe(leader);
    expect(next).toBeGreaterThan(0);
    const q = await clients.to(c.node(next));
    const md = await q.request(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: 'r3' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    expect(md.topics[0]!.partitions[0]).toMatchObject({ leaderId: next, offlineReplicas: [leader] });
    expect(md.topics[0]!.partitions[0]!.isrNodes).not.toContain(leader);
    await waitFor(async () => (await consume(q, 'r3', 0)).values.length === 10, 'the acknowledged records on the new leader');
    expect((await consume(q, 'r3', 0)).values.map(([, v]) => v)).toEqual(allValues(10, 'a'));
    for (let i = 10; i < 15; i++) expect((await produce(q, 'r3', 0, [`a${i}`], -1)).errorCode).toBe(0);
    await c.startNode(leader);
    await waitFor(() => c.node(next).image().partition('r3', 0)!.isr.length === 3, 'the restarted broker back in the ISR');
    await waitFor(async () => (await replicaLog(c.node(leader), 'r3', 0)).length === 15, 'the restarted broker caught up');
    expect((await replicaLog(c.node(leader), 'r3', 0)).map(([, v]) => v)).toEqual(allValues(15, 'a'));
  });

  it('a controlled shutdown moves leadership first', async () => {
    const c = await start();
    const leader = await topic(c, 'r4');
    const p = await clients.to(c.node(leader));
    expect((await produce(p, 'r4', 0, ['before'], -1)).errorCode).toBe(0);
    await c.stopNode(leader);
    const img = [...c.nodes.values()][0]!.image();
    expect(img.partition('r4', 0)!.leader).not.toBe(leader);
    expect(img.partition('r4', 0)!.isr).not.toContain(leader);
    expect(img.brokers.get(leader)!.fenced).toBe(true);
  });

  it('NOT_ENOUGH_REPLICAS with two of three brokers gone; acks=1 still works; acks=all again when one returns', async () => {
    // Dedicated controllers: two of three combined nodes gone would take the metadata quorum with them.
    const c = await start({}, 3);
    const leader = await topic(c, 'r5');
    const others = [1, 2, 3].filter((id) => id !== leader);
    for (const id of others) await c.stopNode(id, { controlled: false });
    expect(c.node(leader).image().partition('r5', 0)!.isr).toEqual([leader]);
    const p = await clients.to(c.node(leader));
    expect((await produce(p, 'r5', 0, ['all'], -1)).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect((await produce(p, 'r5', 0, ['one'], 1)).errorCode).toBe(0);
    // Under min.insync.replicas the high watermark stays: consumers do not see the acks=1 record yet.
    expect((await consume(p, 'r5', 0)).values).toEqual([]);
    await c.startNode(others[0]!);
    await waitFor(() => c.node(leader).image().partition('r5', 0)!.isr.length === 2, 'a second ISR member');
    expect((await produce(p, 'r5', 0, ['all again'], -1)).errorCode).toBe(0);
    expect((await consume(p, 'r5', 0)).values.map(([, v]) => v)).toEqual(['one', 'all again']);
  });

  it('a follower truncates its divergent tail after a leader change; consumers never saw it', async () => {
    const c = await start();
    const a = await topic(c, 'r6', { 'min.insync.replicas': '1' });
    const [b, d] = [1, 2, 3].filter((id) => id !== a) as [number, number];
    const pa = await clients.to(c.node(a));
    expect((await produce(pa, 'r6', 0, allValues(5, 'c'), -1)).errorCode).toBe(0);
    await waitFor(async () => (await replicaLog(c.node(b), 'r6', 0)).length === 5 && (await replicaLog(c.node(d), 'r6', 0)).length === 5, 'followers caught up');
    c.node(b).replicas.pauseFetching(true);
    c.node(d).replicas.pauseFetching(true);
    await new Promise((r) => setTimeout(r, 300));
    expect((await produce(pa, 'r6', 0, ['lost1', 'lost2', 'lost3'], 1)).errorCode).toBe(0);
    expect(await replicaLog(c.node(a), 'r6', 0)).toHaveLength(8);
    const seen = await consume(pa, 'r6', 0);
    expect(seen.values.map(([, v]) => v)).toEqual(allValues(5, 'c'));
    await c.stopNode(a, { controlled: false });
    const nb = leaderOf(c, 'r6');
    expect([b, d]).toContain(nb);
    c.node(b).replicas.pauseFetching(false);
    c.node(d).replicas.pauseFetching(false);
    const pb = await clients.to(c.node(nb));
    expect((await produce(pb, 'r6', 0, ['new1', 'new2'], -1)).errorCode).toBe(0);
    await c.startNode(a);
    const want = [...allValues(5, 'c'), 'new1', 'new2'];
    await waitFor(async () => JSON.stringify((await replicaLog(c.node(a), 'r6', 0)).map(([, v]) => v)) === JSON.stringify(want), 'the old leader truncated and caught up');
    for (const id of [1, 2, 3]) expect((await replicaLog(c.node(id), 'r6', 0)).map(([o, v]) => `${o}:${v}`)).toEqual(want.map((v, i) => `${i}:${v}`));
    expect(c.node(a).replicas.partition('r6', 0)!.epochs.entries.map((e) => e.epoch)).toEqual([0, 1]);
  });

  it('an isolated leader stops acknowledging acks=all; after a new leader takes over it truncates what it appended alone', async () => {
    const c = await start();
    const a = await topic(c, 'r9');
    const pa = await clients.to(c.node(a));
    expect((await produce(pa, 'r9', 0, ['ok1', 'ok2'], -1)).errorCode).toBe(0);
    // The followers lose the leader (as behind a network partition): nothing it appends now reaches the ISR.
    for (const id of [1, 2, 3]) if (id !== a) c.node(id).replicas.pauseFetching(true);
    await new Promise((r) => setTimeout(r, 300)); // fetches already in flight come back first
    expect((await produce(pa, 'r9', 0, ['unacked'], -1, 300)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    // The controller fences it (as when its session ends): a follower in the ISR takes over.
    await (await c.activeController()).fenceBroker(a);
    await waitFor(() => [...c.nodes.values()].every((n) => ![a, -1].includes(n.image().partition('r9', 0)!.leader)), 'a new leader everywhere');
    const b = leaderOf(c, 'r9');
    for (const id of [1, 2, 3]) if (id !== a) c.node(id).replicas.pauseFetching(false);
    const pb = await clients.to(c.node(b));
    expect((await produce(pb, 'r9', 0, ['ok3'], -1)).errorCode).toBe(0);
    // Healed (its next heartbeat unfences it): the old leader is a follower again and drops its lone record.
    await waitFor(() => c.node(b).image().partition('r9', 0)!.isr.length === 3, 'the old leader back in the ISR');
    for (const id of [1, 2, 3]) expect((await replicaLog(c.node(id), 'r9', 0)).map(([, v]) => v)).toEqual(['ok1', 'ok2', 'ok3']);
  });

  it('the ISR shrinks when a follower stops fetching and expands when it catches up', async () => {
    const c = await start({ 'replica.lag.time.max.ms': 600 });
    const leader = await topic(c, 'r7');
    const slow = [1, 2, 3].find((id) => id !== leader)!;
    const p = await clients.to(c.node(leader));
    c.node(slow).replicas.pauseFetching(true);
    expect((await produce(p, 'r7', 0, ['w1'], -1)).errorCode).toBe(0);
    await waitFor(() => !c.node(leader).image().partition('r7', 0)!.isr.includes(slow), 'the ISR to shrink');
    expect(c.node(leader).image().partition('r7', 0)!.isr).toHaveLength(2);
    expect((await produce(p, 'r7', 0, ['w2'], -1)).errorCode).toBe(0);
    c.node(slow).replicas.pauseFetching(false);
    await waitFor(() => c.node(leader).image().partition('r7', 0)!.isr.includes(slow), 'the ISR to expand');
    expect((await replicaLog(c.node(slow), 'r7', 0)).map(([, v]) => v)).toEqual(['w1', 'w2']);
  });

  it('acks=all times out (REQUEST_TIMED_OUT) while ISR followers do not fetch', async () => {
    const c = await start();
    const leader = await topic(c, 'r8');
    for (const id of [1, 2, 3]) if (id !== leader) c.node(id).replicas.pauseFetching(true);
    const p = await clients.to(c.node(leader));
    const t0 = Date.now();
    expect((await produce(p, 'r8', 0, ['slow'], -1, 400)).errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect((await consume(p, 'r8', 0)).values).toEqual([]);
  });
});
