/**
 * Replication admin over the wire on a 3-node cluster: ElectLeaders
 * (preferred) puts leadership back on the first replica; automatic leader
 * rebalance does the same on its own; AlterPartitionReassignments moves a
 * partition to other brokers (the new replica catches up, joins the ISR,
 * the old one leaves and deletes its log) while ListPartitionReassignments
 * shows the move; OffsetForLeaderEpoch answers a follower's question.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { Clients, createTopic, leaderOf, produce, replicaLog, waitFor } from '../slow/replication-helpers.js';

let c: RunningCluster;
const clients = new Clients();

beforeAll(async () => {
  c = await startCluster({
    nodes: 3,
    config: { 'replica.fetch.backoff.ms': 50, 'replica.fetch.wait.max.ms': 200, 'krill.fsync.before.ack': false, 'auto.leader.rebalance.enable': false },
  });
});

afterAll(async () => {
  clients.closeAll();
  await c?.stop();
});

const image = () => c.node([...c.nodes.keys()][0]!).image();
const everywhere = (cond: (n: ReturnType<RunningCluster['node']>) => boolean): boolean => [...c.nodes.values()].every(cond);

describe('replication admin', () => {
  it('ElectLeaders moves leadership back to the preferred replica', async () => {
    const admin = await clients.to(c.node(1));
    expect(await createTopic(admin, 'pref', 1, 3)).toBe(0);
    await waitFor(() => everywhere((n) => n.replicas.partition('pref', 0) !== undefined), 'replicas');
    const preferred = image().partition('pref', 0)!.replicas[0]!;
    await c.stopNode(preferred);
    await waitFor(() => image().partition('pref', 0)!.leader !== preferred && image().partition('pref', 0)!.leader >= 0, 'a new leader');
    await c.startNode(preferred);
    await waitFor(() => image().partition('pref', 0)!.isr.includes(preferred), 'the preferred replica back in the ISR');
    expect(image().partition('pref', 0)!.leader).not.toBe(preferred);
    const r = await admin.request(43, 2, { electionType: 0, topicPartitions: [{ topic: 'pref', partitions: [0] }], timeoutMs: 10_000 });
    expect(r.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(0);
    await waitFor(() => everywhere((n) => n.image().partition('pref', 0)!.leader === preferred), 'the preferred leader everywhere');
    const again = await admin.request(43, 2, { electionType: 0, topicPartitions: [{ topic: 'pref', partitions: [0] }], timeoutMs: 10_000 });
    expect(again.replicaElectionResults[0]!.partitionResult[0]!.errorCode).toBe(ErrorCode.ELECTION_NOT_NEEDED);
  });

  it('AlterPartitionReassignments moves a partition to another broker; the old replica deletes its log', async () => {
    const admin = await clients.to(c.node(1));
    expect(await createTopic(admin, 'moving', 1, 2)).toBe(0);
    await waitFor(() => image().partition('moving', 0) !== undefined, 'the topic');
    const from = [...image().partition('moving', 0)!.replicas];
    const spare = [1, 2, 3].find((id) => !from.includes(id))!;
    const leaving = from[1]!;
    const leader = leaderOf(c, 'moving');
    await waitFor(() => c.node(leader).replicas.partition('moving', 0)?.isLeader === true, 'the leader');
    const p = await clients.to(c.node(leader));
    expect((await produce(p, 'moving', 0, ['m1', 'm2', 'm3'], -1)).errorCode).toBe(0);
    const target = [from[0]!, spare];
    const r = await admin.request(45, 0, { timeoutMs: 10_000, topics: [{ name: 'moving', partitions: [{ partitionIndex: 0, replicas: target }] }] });
    expect(r.responses[0]!.partitions[0]!.errorCode).toBe(0);
    await waitFor(() => everywhere((n) => JSON.stringify(n.image().partition('moving', 0)!.replicas) === JSON.stringify(target)), 'the move to complete', 30_000);
    const done = image().partition('moving', 0)!;
    expect(done).toMatchObject({ addingReplicas: [], removingReplicas: [] });
    expect([...done.isr].sort()).toEqual([...target].sort());
    expect((await replicaLog(c.node(spare), 'moving', 0)).map(([, v]) => v)).toEqual(['m1', 'm2', 'm3']);
    await waitFor(() => c.node(leaving).replicas.partition('moving', 0) === undefined, 'the old replica gone');
    await waitFor(() => !existsSync(`${c.node(leaving).config.logDirs[0]}/moving-0`), 'the old replica\'s log deleted');
    const listed = await admin.request(46, 0, { timeoutMs: 10_000, topics: null });
    expect(listed.topics).toEqual([]);
  });

  it('ListPartitionReassignments shows a move while a new replica cannot catch up; cancelling reverts it', async () => {
    const admin = await clients.to(c.node(1));
    expect(await createTopic(admin, 'stuck', 1, 2)).toBe(0);
    await waitFor(() => image().partition('stuck', 0) !== undefined, 'the topic');
    const from = [...image().partition('stuck', 0)!.replicas];
    const spare = [1, 2, 3].find((id) => !from.includes(id))!;
    c.node(spare).replicas.pauseFetching(true);
    try {
      const r = await admin.request(45, 0, { timeoutMs: 10_000, topics: [{ name: 'stuck', partitions: [{ partitionIndex: 0, replicas: [spare, from[0]!] }] }] });
      expect(r.responses[0]!.partitions[0]!.errorCode).toBe(0);
      await waitFor(async () => (await admin.request(46, 0, { timeoutMs: 10_000, topics: [{ name: 'stuck', partitionIndexes: [0] }] })).topics.length === 1, 'the move listed');
      const listed = await admin.request(46, 0, { timeoutMs: 10_000, topics: [{ name: 'stuck', partitionIndexes: [0] }] });
      expect(listed.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, replicas: [spare, from[0]!, from[1]!], addingReplicas: [spare], removingReplicas: [from[1]!] });
      const cancel = await admin.request(45, 0, { timeoutMs: 10_000, topics: [{ name: 'stuck', partitions: [{ partitionIndex: 0, replicas: null }] }] });
      expect(cancel.responses[0]!.partitions[0]!.errorCode).toBe(0);
      await waitFor(() => everywhere((n) => [...n.image().partition('stuck', 0)!.replicas].sort().join() === [...from].sort().join()), 'the move reverted');
    } finally {
      c.node(spare).replicas.pauseFetching(false);
    }
  });

  it('OffsetForLeaderEpoch answers the end offset of an epoch from the leader epoch cache', async () => {
    const admin = await clients.to(c.node(1));
    expect(await createTopic(admin, 'epochs', 1, 3)).toBe(0);
    await waitFor(() => everywhere((n) => n.replicas.partition('epochs', 0) !== undefined), 'replicas');
    const leader = leaderOf(c, 'epochs');
    await waitFor(() => c.node(leader).replicas.partition('epochs', 0)?.isLeader === true, 'the leader');
    const p = await clients.to(c.node(leader));
    expect((await produce(p, 'epochs', 0, ['a', 'b'], -1)).errorCode).toBe(0);
    const epoch = c.node(leader).replicas.partition('epochs', 0)!.leaderEpoch;
    const r = await p.request(23, 4, { replicaId: -1, topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: epoch, leaderEpoch: epoch }] }] });
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: epoch, endOffset: 2n });
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const f = await clients.to(c.node(follower));
    const nl = await f.request(23, 4, { replicaId: -1, topics: [{ topic: 'epochs', partitions: [{ partition: 0, currentLeaderEpoch: epoch, leaderEpoch: epoch }] }] });
    expect(nl.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });
});

describe('automatic leader rebalance', () => {
  it('moves leadership back to the preferred replica on its own', async () => {
    const r = await startCluster({
      nodes: 3,
      config: { 'replica.fetch.backoff.ms': 50, 'replica.fetch.wait.max.ms': 200, 'krill.fsync.before.ack': false, 'leader.imbalance.check.interval.seconds': 1 },
    });
    try {
      const admin = await clients.to(r.node(1));
      expect(await createTopic(admin, 'auto', 1, 3)).toBe(0);
      const img = () => r.node([...r.nodes.keys()][0]!).image();
      await waitFor(() => img().partition('auto', 0) !== undefined, 'the topic');
      const preferred = img().partition('auto', 0)!.replicas[0]!;
      await r.stopNode(preferred);
      await waitFor(() => ![preferred, -1].includes(img().partition('auto', 0)!.leader), 'a new leader');
      await r.startNode(preferred);
      await waitFor(() => img().partition('auto', 0)!.leader === preferred, 'leadership back on the preferred replica', 30_000);
    } finally {
      await r.stop();
    }
  });
});
