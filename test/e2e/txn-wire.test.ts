/**
 * Transactions at the wire level, exact versions through Krill's own codec:
 * InitProducerId epochs and KIP-360, AddPartitionsToTxn (v1-v5, batched,
 * verify_only), produce verification, last stable offset and aborted
 * transactions in Fetch and ListOffsets, TxnOffsetCommit with
 * require_stable, EndTxn states, WriteTxnMarkers, timeouts, and the admin
 * APIs — each with Kafka's error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;
let c: RawClient;
const TOPIC = 'tw';

beforeAll(async () => {
  krill = await startKrill({ config: { 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'transaction.max.timeout.ms': 120_000 } });
  c = await RawClient.connect(krill.bootstrap, { clientId: 'txn-wire' });
  await c.request(19, 7, { topics: [{ name: TOPIC, numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 });
  expect((await c.request(10, 4, { keyType: 1, coordinatorKeys: ['boot'] })).coordinators[0].errorCode).toBe(0);
  expect((await c.request(10, 4, { keyType: 0, coordinatorKeys: ['wg'] })).coordinators[0].errorCode).toBe(0);
});

afterAll(async () => {
  c?.close();
  await krill?.stop();
});

const init = (transactionalId: string | null, extra: { transactionTimeoutMs?: number; producerId?: bigint; producerEpoch?: number } = {}, version = 4) =>
  c.request(22, version, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, ...extra });

const batch = (pid: bigint, epoch: number, seq: number, n: number, transactional = true) =>
  buildBatchSync({ producerId: pid, producerEpoch: epoch, baseSequence: seq, transactional, records: Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })) });

async function produce(records: Buffer, partition = 0) {
  const r = await c.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records }] }] });
  return r.responses[0].partitionResponses[0];
}

const add = (transactionalId: string, pid: bigint, epoch: number, topics: Array<{ name: string; partitions: number[] }>, version = 3) =>
  c.request(24, version, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: epoch, v3AndBelowTopics: topics, transactions: [] });

const endTxn = (transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean, version = 3) =>
  c.request(26, version, { transactionalId, producerId, producerEpoch, committed });

const describeTxn = async (id: string) => (await c.request(65, 0, { transactionalIds: [id] })).transactionStates[0];

async function waitState(id: string, state: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await describeTxn(id)).transactionState === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${id} never reached ${state}: ${JSON.stringify(await describeTxn(id), (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`);
}

const fetch = (offset: bigint, isolationLevel: number, partition = 0) =>
  c.request(1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: TOPIC, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  }).then((r) => r.responses[0].partitions[0]);

const latest = async (isolationLevel: number, partition = 0) =>
  (await c.request(2, 7, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0].partitions[0].offset;

describe('InitProducerId with a transactional id', () => {
  it('validates, maps ids to producer ids and bumps epochs (KIP-360)', async () => {
    expect((await init('')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await init('x', { transactionTimeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('x', { transactionTimeoutMs: 120_001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await init('x', { producerId: 5n })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const a = await init('epochs');
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    const b = await init('epochs');
    expect(b).toMatchObject({ errorCode: 0, producerId: a.producerId, producerEpoch: 1 });
    expect(await init('epochs', { producerId: a.producerId, producerEpoch: 1 })).toMatchObject({ errorCode: 0, producerEpoch: 2 });
    expect(await init('epochs', { producerId: a.producerId, producerEpoch: 1 })).toMatchObject({ errorCode: 0, producerEpoch: 2 });
    expect((await init('epochs', { producerId: a.producerId, producerEpoch: 0 })).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await init('epochs', { producerId: a.producerId, producerEpoch: 0 }, 3)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    // Idempotent producers still get fresh ids.
    const idem = await init(null);
    expect(idem.errorCode).toBe(0);
    expect(idem.producerId).not.toBe(a.producerId);
  });
});

describe('a transaction on the wire', () => {
  it('adds partitions, hides open and aborted data from read_committed, commits offsets on commit', async () => {
    const { producerId: pid } = await init('wire-1');
    // Transactional data before AddPartitionsToTxn is refused (KIP-890 verification).
    expect((await produce(batch(pid, 0, 0, 3))).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    const bad = await add('wire-1', pid, 0, [{ name: TOPIC, partitions: [0] }, { name: 'no-such-topic', partitions: [0] }]);
    expect(bad.resultsByTopicV3AndBelow.map((t) => t.resultsByPartition[0].partitionErrorCode)).toEqual([ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect((await add('wire-1', pid + 1000n, 0, [{ name: TOPIC, partitions: [0] }])).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    expect((await add('wire-1', pid, 3, [{ name: TOPIC, partitions: [0] }])).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await add('wire-1', pid, 3, [{ name: TOPIC, partitions: [0] }], 1)).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await add('wire-1', pid, 0, [{ name: TOPIC, partitions: [0] }])).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);

    const base = await latest(0);
    expect(await produce(batch(pid, 0, 0, 3))).toMatchObject({ errorCode: 0, baseOffset: base });
    const idem = await init(null);
    expect((await produce(batch(idem.producerId, 0, 0, 1, false))).errorCode).toBe(0);
    // A plain batch from a producer inside its transaction is INVALID_TXN_STATE.
    expect((await produce(batch(pid, 0, 3, 1, false))).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);

    expect(await latest(1)).toBe(base);
    expect(await latest(0)).toBe(base + 4n);
    const rc = await fetch(base, 1);
    expect(rc).toMatchObject({ errorCode: 0, lastStableOffset: base, highWatermark: base + 4n });
    expect(rc.records?.length ?? 0).toBe(0);
    expect((await fetch(base, 0)).records?.length).toBeGreaterThan(0);

    const producers = (await c.request(61, 0, { topics: [{ name: TOPIC, partitionIndexes: [0, 9] }] })).topics[0].partitions;
    expect(producers[0].activeProducers.find((p) => p.producerId === pid)).toMatchObject({ producerEpoch: 0, lastSequence: 2, currentTxnStartOffset: base });
    expect(producers[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(await describeTxn('wire-1')).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', producerId: pid, producerEpoch: 0, topics: [{ topic: TOPIC, partitions: [0] }] });
    expect((await describeTxn('never-seen')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const listed = await c.request(66, 1, { stateFilters: ['Ongoing', 'Nope'], producerIdFilters: [], durationFilter: -1n });
    expect(listed.unknownStateFilters).toEqual(['Nope']);
    expect(listed.transactionStates).toContainEqual(expect.objectContaining({ transactionalId: 'wire-1', transactionState: 'Ongoing' }));

    // Broker-side verification (v4+): per partition.
    const verify = (version: number) =>
      c.request(24, version, {
        transactions: [{ transactionalId: 'wire-1', producerId: pid, producerEpoch: 0, verifyOnly: true, topics: [{ name: TOPIC, partitions: [0, 1] }] }],
        v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [],
      });
    const v4 = await verify(4);
    expect(v4.errorCode).toBe(0);
    expect(v4.resultsByTransaction[0].topicResults[0].resultsByPartition.map((p) => p.partitionErrorCode)).toEqual([0, ErrorCode.INVALID_TXN_STATE]);
    expect((await verify(5)).resultsByTransaction[0].topicResults[0].resultsByPartition[1].partitionErrorCode).toBe(ErrorCode.TRANSACTION_ABORTABLE);

    expect((await endTxn('wire-1', pid, 0, false)).errorCode).toBe(0);
    await waitState('wire-1', 'CompleteAbort');
    const after = await fetch(base, 1);
    expect(after.lastStableOffset).toBe(after.highWatermark);
    expect(after.abortedTransactions).toEqual([expect.objectContaining({ producerId: pid, firstOffset: base })]);
    expect((await endTxn('wire-1', pid, 0, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await endTxn('wire-1', pid, 0, false)).errorCode).toBe(0);

    // A second transaction with offsets for a group.
    expect((await add('wire-1', pid, 0, [{ name: TOPIC, partitions: [0] }])).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
    expect((await produce(batch(pid, 0, 3, 2))).errorCode).toBe(0);
    const commitOffsets = () =>
      c.request(28, 3, { transactionalId: 'wire-1', groupId: 'wg', producerId: pid, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: 'm' }] }] });
    expect((await commitOffsets()).topics[0].partitions[0].errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await c.request(25, 3, { transactionalId: 'wire-1', producerId: pid, producerEpoch: 0, groupId: 'wg' })).errorCode).toBe(0);
    expect((await commitOffsets()).topics[0].partitions[0].errorCode).toBe(0);
    const offsetFetch = (requireStable: boolean) =>
      c.request(9, 7, { groupId: 'wg', topics: [{ name: TOPIC, partitionIndexes: [0] }], requireStable, groups: [] }).then((r) => r.topics[0].partitions[0]);
    expect(await offsetFetch(true)).toMatchObject({ errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT, committedOffset: -1n });
    expect(await offsetFetch(false)).toMatchObject({ errorCode: 0, committedOffset: -1n });
    expect((await endTxn('wire-1', pid, 0, true)).errorCode).toBe(0);
    await waitState('wire-1', 'CompleteCommit');
    expect(await offsetFetch(true)).toMatchObject({ errorCode: 0, committedOffset: 42n, metadata: 'm' });
    expect(await latest(1)).toBe(await latest(0));
  });

  it('serves WriteTxnMarkers: markers close a producer\'s transaction, old coordinator epochs are fenced', async () => {
    // A producer this coordinator does not know writes transactionally to partition 1 (nothing to verify against).
    const { producerId: pid } = await init(null);
    const base = await latest(0, 1);
    expect((await produce(batch(pid, 0, 0, 2), 1)).errorCode).toBe(0);
    expect(await latest(1, 1)).toBe(base);
    const write = (coordinatorEpoch: number, topic = TOPIC) =>
      c.request(27, 1, { markers: [{ producerId: pid, producerEpoch: 0, transactionResult: false, coordinatorEpoch, topics: [{ name: topic, partitionIndexes: [1] }] }] }).then((r) => r.markers[0].topics[0].partitions[0].errorCode);
    expect(await write(5)).toBe(0);
    expect(await latest(1, 1)).toBe(base + 3n);
    expect((await fetch(base, 1, 1)).abortedTransactions).toEqual([expect.objectContaining({ producerId: pid, firstOffset: base })]);
    expect(await write(4)).toBe(ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    expect(await write(5, 'no-such-topic')).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('aborts a transaction past its timeout and fences its producer', async () => {
    const { producerId: pid } = await init('wire-timeout', { transactionTimeoutMs: 300 });
    await add('wire-timeout', pid, 0, [{ name: TOPIC, partitions: [1] }]);
    const seq0 = await produce(batch(pid, 0, 0, 1), 1);
    expect(seq0.errorCode).toBe(0);
    await waitState('wire-timeout', 'CompleteAbort');
    expect(await describeTxn('wire-timeout')).toMatchObject({ producerEpoch: 1 });
    expect((await endTxn('wire-timeout', pid, 0, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await produce(batch(pid, 0, 1, 1), 1)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(await latest(1, 1)).toBe(await latest(0, 1));
  });
});
