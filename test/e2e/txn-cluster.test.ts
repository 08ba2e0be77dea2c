/**
 * Transactions across a 3-node cluster (issue 5): a topic whose three
 * partitions are led by three different brokers, so the transaction
 * coordinator must send WriteTxnMarkers to the other leaders. A committed
 * and an aborted kafkajs transaction both complete (DescribeTransactions
 * reaches CompleteCommit / CompleteAbort); read_committed consumers see the
 * committed records only, read_uncommitted ones see both. Then the leader of
 * a partition stops: the new leader, which learned the transactions as a
 * follower, has its last stable offset at the high watermark, filters the
 * aborted records for read_committed, knows the producers, and takes the
 * markers of a later transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/index.js';
import type { KrillNode } from '../../src/node.js';
import '../helpers/kafkajs.js';
import { readTopic } from '../helpers/read-topic.js';
import { RawClient } from '../helpers/raw-client.js';
import { leaderOf, waitFor } from '../slow/replication-helpers.js';

const TOPIC = 'txn-spread';

let cluster: RunningCluster;
let kafka: Kafka;
let producer: Producer;
const clients: RawClient[] = [];

beforeAll(async () => {
  cluster = await startCluster({
    nodes: 3,
    config: {
      'default.replication.factor': 3,
      'transaction.state.log.num.partitions': 3,
      'offsets.topic.num.partitions': 3,
      'group.initial.rebalance.delay.ms': 0,
      'replica.fetch.backoff.ms': 50,
      'replica.fetch.wait.max.ms': 200,
      'krill.fsync.before.ack': false,
    },
  });
  const c = await rawTo(firstNode());
  // Leaders on three different brokers (the first replica of each assignment leads).
  const created = await c.request(19, 7, {
    topics: [{ name: TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2, 3] }, { partitionIndex: 1, brokerIds: [2, 3, 1] }, { partitionIndex: 2, brokerIds: [3, 1, 2] }], configs: [] }],
    timeoutMs: 10_000,
  });
  expect(created.topics[0]?.errorCode).toBe(0);
  await waitFor(() => [0, 1, 2].every((p) => [...cluster.nodes.values()].every((n) => n.image().partition(TOPIC, p)?.leader === p + 1)), 'leaders 1, 2, 3');
  kafka = new Kafka({ clientId: 'txn-cluster', brokers: cluster.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  producer = kafka.producer({ transactionalId: 'spread', idempotent: true, maxInFlightRequests: 1, retry: { retries: 10, initialRetryTime: 100 } });
  await producer.connect();
}, 60_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  for (const c of clients) c.close();
  await cluster?.stop();
});

function firstNode(): KrillNode {
  return [...cluster.nodes.values()][0] as KrillNode;
}

async function rawTo(node: KrillNode): Promise<RawClient> {
  const c = await RawClient.connect(node.bootstrap, { clientId: 'txn-cluster-raw' });
  clients.push(c);
  return c;
}

/** One transaction writing `prefix-<partition>-<i>` to every partition. */
async function transaction(prefix: string, commit: boolean): Promise<void> {
  const txn = await producer.transaction();
  for (const partition of [0, 1, 2]) {
    await txn.send({ topic: TOPIC, messages: [0, 1].map((i) => ({ partition, key: `${partition}`, value: `${prefix}-${partition}-${i}` })) });
  }
  if (commit) await txn.commit();
  else await txn.abort();
}

/** The transactional id's state, asked of its coordinator. */
async function txnState(id: string): Promise<string> {
  const any = await rawTo(firstNode());
  const found = (await any.request(10, 4, { keyType: 1, coordinatorKeys: [id] })).coordinators[0];
  const node = cluster.nodes.get(found?.nodeId ?? -1);
  if (!found || found.errorCode !== 0 || !node) return `no coordinator (${found?.errorCode})`;
  const c = await rawTo(node);
  const s = (await c.request(65, 0, { transactionalIds: [id] })).transactionStates[0];
  return s?.errorCode === 0 ? s.transactionState : `error ${s?.errorCode}`;
}

async function waitForState(id: string, want: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (let last = await txnState(id); last !== want; last = await txnState(id)) {
    if (Date.now() > deadline) throw new Error(`${id} still in ${last}, expected ${want}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** ListOffsets on a partition's leader: [read_uncommitted end, read_committed end]. */
async function ends(node: KrillNode, partition: number): Promise<[bigint, bigint]> {
  const c = await rawTo(node);
  const at = async (isolationLevel: number): Promise<bigint> => {
    const r = await c.request(2, 7, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    const p = r.topics[0]?.partitions[0];
    expect(p?.errorCode).toBe(0);
    return p?.offset ?? -1n;
  };
  return [await at(0), await at(1)];
}

function valuesWith(prefix: string, rounds: string[]): string[] {
  return rounds.flatMap((r) => [0, 1, 2].flatMap((p) => [0, 1].map((i) => `${r}-${p}-${i}`))).filter((v) => v.startsWith(prefix) || prefix === '').sort();
}

describe('transactions over three brokers', () => {
  it('commits and aborts transactions whose partitions are led by other brokers', async () => {
    await transaction('c1', true);
    await waitForState('spread', 'CompleteCommit');
    await transaction('a1', false);
    await waitForState('spread', 'CompleteAbort');
    for (const partition of [0, 1, 2]) {
      const [end, stable] = await ends(cluster.nodes.get(partition + 1) as KrillNode, partition);
      // Two records and a marker per transaction.
      expect(end).toBe(6n);
      expect(stable).toBe(end);
    }
    expect((await readTopic(kafka, TOPIC, { count: 6 })).sort()).toEqual(valuesWith('', ['c1']));
    expect((await readTopic(kafka, TOPIC, { count: 12, readUncommitted: true })).sort()).toEqual(valuesWith('', ['c1', 'a1']));
  }, 40_000);

  it('commits offsets to a group whose coordinator is another broker (the marker goes to its __consumer_offsets leader)', async () => {
    const any = await rawTo(firstNode());
    const coordinatorOf = async (keyType: number, key: string): Promise<number> => (await any.request(10, 4, { keyType, coordinatorKeys: [key] })).coordinators[0]?.nodeId ?? -1;
    const txnCoordinator = await coordinatorOf(1, 'spread');
    let groupId = '';
    for (let i = 0; groupId === ''; i++) {
      expect(i).toBeLessThan(50);
      if ((await coordinatorOf(0, `spread-group-${i}`)) !== txnCoordinator) groupId = `spread-group-${i}`;
    }
    const admin = kafka.admin();
    await admin.connect();
    try {
      const txn = await producer.transaction();
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: TOPIC, partitions: [0, 1, 2].map((partition) => ({ partition, offset: '3' })) }] });
      await txn.commit();
      await waitForState('spread', 'CompleteCommit');
      const committed = async (): Promise<string[]> => (await admin.fetchOffsets({ groupId, topics: [TOPIC] }))[0]?.partitions.map((p) => p.offset) ?? [];
      await waitFor(async () => (await committed()).every((o) => o === '3'), `${groupId}'s offsets committed`, 10_000);
    } finally {
      await admin.disconnect();
    }
  }, 30_000);

  it('a new leader serves read_committed from what it replicated, and takes later markers', async () => {
    const partition = 0;
    const old = leaderOf(cluster, TOPIC, partition);
    const leaderEnd = cluster.nodes.get(old)?.replicas.partition(TOPIC, partition)?.log.logEndOffset;
    await waitFor(
      () => [...cluster.nodes.values()].every((n) => n.replicas.partition(TOPIC, partition)?.log.logEndOffset === leaderEnd),
      'followers caught up',
    );
    await cluster.stopNode(old);
    await waitFor(() => {
      const l = leaderOf(cluster, TOPIC, partition);
      return l > 0 && l !== old && cluster.nodes.get(l)?.replicas.partition(TOPIC, partition)?.isLeader === true;
    }, 'a new leader');
    const node = cluster.nodes.get(leaderOf(cluster, TOPIC, partition)) as KrillNode;
    const p = node.replicas.partition(TOPIC, partition);
    await waitFor(() => p?.highWatermark === 6, 'the new leader\'s high watermark');
    expect(p?.lastStableOffset).toBe(6);
    expect(p?.abortedTxns.all().map((t) => [t.firstOffset, t.lastOffset])).toEqual([[3, 5]]);
    expect(await ends(node, partition)).toEqual([6n, 6n]);

    // read_committed straight from the new leader: the aborted transaction is listed and skipped.
    const c = await rawTo(node);
    const fetched = await c.request(1, 12, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 1,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: TOPIC, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const fp = fetched.responses[0]?.partitions[0];
    expect(fp?.errorCode).toBe(0);
    expect(fp?.lastStableOffset).toBe(6n);
    expect(fp?.abortedTransactions?.map((t) => t.firstOffset)).toEqual([3n]);

    const described = await c.request(61, 0, { topics: [{ name: TOPIC, partitionIndexes: [partition] }] });
    const dp = described.topics[0]?.partitions[0];
    expect(dp?.errorCode).toBe(0);
    expect(dp?.activeProducers).toHaveLength(1);
    expect(dp?.activeProducers[0]).toMatchObject({ lastSequence: 3, currentTxnStartOffset: -1n });

    // The producer carries on: its sequences continue on the new leader and the markers find it.
    await transaction('c2', true);
    await waitForState('spread', 'CompleteCommit');
    expect(await ends(node, partition)).toEqual([9n, 9n]);
    expect((await readTopic(kafka, TOPIC, { count: 12 })).sort()).toEqual(valuesWith('', ['c1', 'c2']));
  }, 40_000);

  it('retries the markers of a partition whose leader crashes until the new leader takes them', async () => {
    await cluster.startNode(1);
    const any = await rawTo(firstNode());
    const coordinator = (await any.request(10, 4, { keyType: 1, coordinatorKeys: ['spread'] })).coordinators[0]?.nodeId;
    const partition = [0, 1, 2].find((p) => leaderOf(cluster, TOPIC, p) !== coordinator) as number;
    const victim = leaderOf(cluster, TOPIC, partition);
    const txn = await producer.transaction();
    for (const p of [0, 1, 2]) await txn.send({ topic: TOPIC, messages: [0, 1].map((i) => ({ partition: p, key: `${p}`, value: `c3-${p}-${i}` })) });
    // The leader goes away without a controlled shutdown while the coordinator sends it the marker.
    const crash = cluster.stopNode(victim, { controlled: false });
    await txn.commit();
    await crash;
    await waitForState('spread', 'CompleteCommit');
    const leader = leaderOf(cluster, TOPIC, partition);
    expect(leader).not.toBe(victim);
    const [end, stable] = await ends(cluster.nodes.get(leader) as KrillNode, partition);
    expect(stable).toBe(end);
    expect((await readTopic(kafka, TOPIC, { count: 18 })).sort()).toEqual(valuesWith('', ['c1', 'c2', 'c3']));
  }, 40_000);
});
