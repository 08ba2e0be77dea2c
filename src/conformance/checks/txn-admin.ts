/**
 * The transaction APIs beside the producer's own: WriteTxnMarkers (27, sent
 * by transaction coordinators to partition leaders), and the KIP-664 admin
 * APIs DescribeProducers (61), DescribeTransactions (65) and
 * ListTransactions (66, with the KIP-994 duration filter from v1).
 *
 * WriteTxnMarkers is checked with a producer id no coordinator manages (a
 * fresh idempotent one), so the markers written change no real transaction:
 * the marker lands as a transactional control batch with the coordinator
 * epoch sent; an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED;
 * an unknown topic UNKNOWN_TOPIC_OR_PARTITION. Kafka allows the API only with
 * CLUSTER_ACTION, so a CLUSTER_AUTHORIZATION_FAILED answer passes unless the
 * broker is Krill.
 *
 * The admin APIs must show an open transaction: the producer on its
 * partition with its epoch, last sequence and the transaction's first offset
 * (and no open transaction after the commit); the transaction's state
 * (Empty, Ongoing, CompleteCommit), timeout, producer and partitions;
 * TRANSACTIONAL_ID_NOT_FOUND for an unknown id; the listing filtered by
 * state (unknown state names returned), producer id and duration.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, find } from '../assert.js';
import { Api, latestOffset } from '../ops.js';
import { sleep } from '../suite.js';
import {
  ABORT,
  TXN_BASE,
  abortQuietly,
  addPartitions,
  describeTxn,
  endTxn,
  expectMarker,
  initTxn,
  produceTxn,
  txnCoordinatorConnection,
  txnId,
  txnRecords,
  txnTopic,
  waitMarker,
  waitTxnState,
  type TxnProducer,
} from './txn-flow.js';

const CLOCK_SKEW_MS = 10 * 60_000;

async function writeMarker(c: KafkaConnection, v: number, producerId: bigint, m: { commit: boolean; coordinatorEpoch: number; topic: string }): Promise<number> {
  const res = await c.request(Api.WriteTxnMarkers, v, {
    markers: [{ producerId, producerEpoch: 0, transactionResult: m.commit, coordinatorEpoch: m.coordinatorEpoch, topics: [{ name: m.topic, partitionIndexes: [0] }] }],
  });
  const marker = find(res.markers, (x) => x.producerId === producerId, `marker of producer ${producerId}`);
  const t = find(marker.topics, (x) => x.name === m.topic, `topic ${m.topic}`);
  return find(t.partitions, (x) => x.partitionIndex === 0, 'partition 0').errorCode;
}

const writeMarkers: Check = {
  id: 'write-txn-markers.marker',
  title: 'writes a transaction marker as a control batch; an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED',
  apiKey: Api.WriteTxnMarkers,
  versions: 'all',
  tagged: true,
  requires: [Api.InitProducerId, Api.Fetch, Api.ListOffsets],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('txn-markers');
    const c = await ctx.leader(topic);
    const init = await c.request(Api.InitProducerId, ctx.suite.maxVersion(Api.InitProducerId), { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expectNoError(init.errorCode, 'InitProducerId (idempotent) errorCode');
    const pid = init.producerId;
    const base = await latestOffset(ctx.suite, c, topic.name);
    const first = await writeMarker(c, v, pid, { commit: false, coordinatorEpoch: 5, topic: topic.name });
    // Kafka answers this broker-to-broker API only to principals with CLUSTER_ACTION.
    if (first === ErrorCode.CLUSTER_AUTHORIZATION_FAILED && !ctx.suite.krill) return;
    expectNoError(first, 'errorCode');
    const m = await waitMarker(ctx, topic, 0, base, pid);
    expectEqual(m.baseOffset, base, 'offset of the marker');
    expectMarker(m, pid, ABORT, 0, 0, 'marker written');
    expectEqual(m.coordinatorEpoch, 5, 'coordinator epoch in the marker');
    const fenced = await writeMarker(c, v, pid, { commit: true, coordinatorEpoch: 4, topic: topic.name });
    expectError(fenced, ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'errorCode for an older coordinator epoch');
    const unknown = await writeMarker(c, v, pid, { commit: false, coordinatorEpoch: 5, topic: ctx.suite.topicName(`missing-markers-v${v}`) });
    expectError(unknown, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for a topic that does not exist');
    expectEqual(await latestOffset(ctx.suite, c, topic.name), base + 1n, 'log end (only the first marker written)');
  },
};

const describeProducers: Check = {
  id: 'describe-producers.partition',
  title: "shows a transactional producer on its partition: epoch, last sequence, the open transaction's first offset",
  apiKey: Api.DescribeProducers,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE, Api.AddPartitionsToTxn, Api.EndTxn, Api.Produce, Api.Fetch],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('txn-producers');
    const c = await ctx.leader(topic);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-producers', v));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const base = await produceTxn(ctx, p, topic, 0, txnRecords('producers', 3));
      const describe = async () => {
        const res = await c.request(Api.DescribeProducers, v, { topics: [{ name: topic.name, partitionIndexes: [0, 99] }] });
        const t = find(res.topics, (x) => x.name === topic.name, `topic ${topic.name}`);
        return { p0: find(t.partitions, (x) => x.partitionIndex === 0, 'partition 0'), p99: find(t.partitions, (x) => x.partitionIndex === 99, 'partition 99') };
      };
      const open = await describe();
      expectNoError(open.p0.errorCode, 'errorCode');
      expectError(open.p99.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for partition 99');
      const e = find(open.p0.activeProducers, (x) => x.producerId === p!.producerId, `producer ${p.producerId}`);
      expectEqual(e.producerEpoch, p.producerEpoch, 'producer epoch');
      expectEqual(e.lastSequence, 2, 'last sequence (three records from 0)');
      expectEqual(e.currentTxnStartOffset, base, 'first offset of the open transaction');
      expectTrue(e.lastTimestamp > 0n, `last timestamp ${e.lastTimestamp}`);
      const pid = p.producerId;
      await endTxn(ctx, p, true);
      await waitMarker(ctx, topic, 0, base + 3n, pid);
      const done = find((await describe()).p0.activeProducers, (x) => x.producerId === pid, `producer ${pid} after the commit`);
      expectEqual(done.currentTxnStartOffset, -1n, 'first offset of the open transaction after the commit (none)');
      expectTrue(done.coordinatorEpoch >= 0, `coordinator epoch ${done.coordinatorEpoch} after a marker`);
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const describeTransactions: Check = {
  id: 'describe-transactions.states',
  title: 'shows a transaction Empty, Ongoing with its partitions, then CompleteCommit; an unknown id is TRANSACTIONAL_ID_NOT_FOUND',
  apiKey: Api.DescribeTransactions,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE, Api.AddPartitionsToTxn, Api.EndTxn],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-describe', v));
      const c = p.coordinator;
      const empty = await describeTxn(c, v, p.transactionalId);
      expectNoError(empty.errorCode, 'errorCode');
      expectEqual(empty.transactionState, 'Empty', 'state after InitProducerId');
      expectEqual(empty.producerId, p.producerId, 'producerId');
      expectEqual(empty.producerEpoch, p.producerEpoch, 'producerEpoch');
      expectEqual(empty.transactionTimeoutMs, p.timeoutMs, 'transactionTimeoutMs');
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [1, 0] }]);
      const ongoing = await describeTxn(c, v, p.transactionalId);
      expectEqual(ongoing.transactionState, 'Ongoing', 'state after AddPartitionsToTxn');
      const parts = ongoing.topics.filter((t) => t.topic === topic.name).flatMap((t) => t.partitions).sort();
      expectEqual(JSON.stringify(parts), '[0,1]', 'partitions of the transaction');
      const start = Number(ongoing.transactionStartTimeMs);
      expectTrue(Math.abs(start - Date.now()) < CLOCK_SKEW_MS, `transactionStartTimeMs ${start} is not around now`);
      const unknownId = txnId(ctx, 'txn-never-used', v);
      const unknown = await describeTxn(await txnCoordinatorConnection(ctx, unknownId), v, unknownId);
      expectError(unknown.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, 'errorCode for an unknown transactional id');
      expectError((await describeTxn(c, v, '')).errorCode, ErrorCode.INVALID_REQUEST, 'errorCode for an empty transactional id');
      await endTxn(ctx, p, true);
      const done = await waitTxnState(ctx, p, ['CompleteCommit']);
      expectEqual(done.topics.flatMap((t) => t.partitions).length, 0, 'partitions of a completed transaction');
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const listTransactions: Check = {
  id: 'list-transactions.filters',
  title: 'lists an open transaction, filtered by state (unknown names returned), producer id and, from v1, duration (KIP-994)',
  apiKey: Api.ListTransactions,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE, Api.AddPartitionsToTxn],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-list', v));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const c = p.coordinator;
      const id = p.transactionalId;
      const pid = p.producerId;
      const list = async (stateFilters: string[], producerIdFilters: bigint[], durationFilter = -1n) => {
        const res = await c.request(Api.ListTransactions, v, { stateFilters, producerIdFilters, ...(v >= 1 ? { durationFilter } : {}) });
        expectNoError(res.errorCode, 'errorCode');
        return res;
      };
      const has = (res: Awaited<ReturnType<typeof list>>) => res.transactionStates.some((s) => s.transactionalId === id);
      const all = await list([], []);
      const mine = find(all.transactionStates, (s) => s.transactionalId === id, `transaction ${id}`);
      expectEqual(mine.producerId, pid, 'producerId');
      expectEqual(mine.transactionState, 'Ongoing', 'transactionState');
      const ongoing = await list(['Ongoing', 'NoSuchState'], []);
      expectTrue(has(ongoing), 'the open transaction is missing under the Ongoing filter');
      expectEqual(JSON.stringify(ongoing.unknownStateFilters), '["NoSuchState"]', 'unknownStateFilters');
      expectTrue(ongoing.transactionStates.every((s) => s.transactionState === 'Ongoing'), 'a transaction not Ongoing passed the Ongoing filter');
      expectTrue(!has(await list(['CompleteCommit'], [])), 'the open transaction is listed under the CompleteCommit filter');
      const byPid = await list([], [pid]);
      expectTrue(has(byPid) && byPid.transactionStates.every((s) => s.producerId === pid), 'the producer id filter lists other producers or misses this one');
      if (v >= 1) {
        await sleep(30);
        expectTrue(has(await list([], [pid], 0n)), 'the transaction is missing with a 0 ms duration filter after running 30 ms');
        expectTrue(!has(await list([], [pid], 86_400_000n)), 'a transaction running for less than a day is listed with a one-day duration filter');
      }
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

export const transactionAdminChecks: Check[] = [writeMarkers, describeProducers, describeTransactions, listTransactions];
