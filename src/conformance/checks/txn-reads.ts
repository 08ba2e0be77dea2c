/**
 * What transactions look like to readers, and two whole flows.
 *
 * A fixture partition holds, in order: a committed transaction (3 records
 * and its commit marker), an aborted one (2 records and its abort marker)
 * and an open one (1 record), so its last stable offset (LSO) is the open
 * transaction's first offset. At every Fetch version from v4, a
 * read_committed fetch stops at the LSO, returns the committed records
 * followed by the commit marker, and lists the aborted transaction in
 * abortedTransactions (the client drops its records); read_uncommitted sees
 * everything up to the high watermark. At every ListOffsets version from v2,
 * latest under read_committed is the LSO and under read_uncommitted the log
 * end. The open transaction is aborted when the run ends.
 *
 * The flows: FindCoordinator TRANSACTION, InitProducerId, AddPartitionsToTxn,
 * Produce to two partitions, AddOffsetsToTxn and TxnOffsetCommit, EndTxn
 * commit: the LSO is held back until the commit, then both partitions show
 * the records and a commit marker and the group has the offsets. And
 * fencing: a new InitProducerId for the same transactional id aborts the
 * open transaction and fences the old producer (its produce is
 * INVALID_PRODUCER_EPOCH, its AddPartitionsToTxn and EndTxn are fenced),
 * while the new one commits.
 */
import { ErrorCode } from '../../api/error-codes.js';
import { Attr, lastOffsetDeltaOf } from '../../protocol/record-batch.js';
import { decodeBatchSync, type RecordInput } from '../../protocol/records.js';
import type { Check } from '../check.js';
import { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail } from '../assert.js';
import { Api, expectRecords, fetchPartition, listOffset, splitBatches, topicRef, type FetchPartition } from '../ops.js';
import { poll, type CheckContext, type Suite, type TopicInfo } from '../suite.js';
import { coordinatorConnection, fetchOffsets } from './group-flow.js';
import {
  ABORT,
  COMMIT,
  TXN_BASE,
  abortQuietly,
  addOffsets,
  addPartitions,
  addPartitionsRaw,
  controlOf,
  endTxn,
  endTxnRaw,
  expectMarker,
  fencedCode,
  initTxn,
  lastStable,
  produceTxn,
  produceTxnRaw,
  reinit,
  tp,
  txnBatch,
  txnId,
  txnOffsetCommit,
  txnRecords,
  waitMarker,
  type TxnProducer,
} from './txn-flow.js';

const TXN_PRODUCE = [...TXN_BASE, Api.AddPartitionsToTxn, Api.EndTxn, Api.Produce];

interface Span {
  base: bigint;
  records: RecordInput[];
}

interface ReadsFixture {
  topic: TopicInfo;
  producerId: bigint;
  committed: Span;
  aborted: Span;
  open: Span;
  /** High watermark: the end of the open transaction's records. */
  end: bigint;
}

const fixtures = new WeakMap<Suite, Promise<ReadsFixture>>();

function fixture(ctx: CheckContext): Promise<ReadsFixture> {
  let p = fixtures.get(ctx.suite);
  if (!p) {
    p = build(ctx);
    p.catch(() => fixtures.delete(ctx.suite));
    fixtures.set(ctx.suite, p);
  }
  return p;
}

async function build(ctx: CheckContext): Promise<ReadsFixture> {
  const topic = await ctx.suite.fixture('txn-reads');
  const p = await initTxn(ctx, ctx.suite.topicName('txn-reads'));
  const span = async (tag: string, n: number): Promise<Span> => {
    await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
    const records = txnRecords(tag, n);
    return { base: await produceTxn(ctx, p, topic, 0, records), records };
  };
  const committed = await span('committed', 3);
  await endTxn(ctx, p, true);
  expectEqual((await waitMarker(ctx, topic, 0, committed.base + 3n, p.producerId)).baseOffset, committed.base + 3n, 'commit marker offset');
  const aborted = await span('aborted', 2);
  await endTxn(ctx, p, false);
  expectEqual((await waitMarker(ctx, topic, 0, aborted.base + 2n, p.producerId)).baseOffset, aborted.base + 2n, 'abort marker offset');
  const open = await span('open', 1);
  const ref = { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch };
  ctx.suite.onCleanup(async () => {
    const c = await KafkaConnection.connect(p.coordinatorAddress);
    try {
      await endTxnRaw(c, ctx.suite.maxVersion(Api.EndTxn), ref, false);
    } finally {
      c.close();
    }
  });
  return { topic, producerId: p.producerId, committed, aborted, open, end: open.base + 1n };
}

const records = (b: Buffer) => decodeBatchSync(b).records;
const lastOffsetOf = (b: Buffer): bigint => b.readBigInt64BE(0) + BigInt(lastOffsetDeltaOf(b));

async function readAt(ctx: CheckContext, f: ReadsFixture, v: number, isolationLevel: number): Promise<FetchPartition> {
  const c = await ctx.leader(f.topic);
  const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.committed.base, { isolationLevel });
  expectNoError(p.errorCode, 'errorCode');
  expectEqual(p.highWatermark, f.end, 'highWatermark');
  expectEqual(p.lastStableOffset, f.open.base, 'lastStableOffset (the open transaction holds it back)');
  return p;
}

const readCommitted: Check = {
  id: 'fetch.read-committed',
  title: 'read_committed stops at the last stable offset, returns commit markers after committed records and lists aborted transactions',
  apiKey: Api.Fetch,
  versions: { min: 4 },
  requires: TXN_PRODUCE,
  async run(ctx, v) {
    const f = await fixture(ctx);
    const p = await readAt(ctx, f, v, 1);
    const batches = splitBatches(p.records);
    for (const b of batches) {
      if (lastOffsetOf(b) >= f.open.base) fail(`read_committed returned a batch ending at ${lastOffsetOf(b)}, past the last stable offset ${f.open.base}`);
    }
    const at = (offset: bigint) => batches.find((b) => b.readBigInt64BE(0) === offset);
    const data = at(f.committed.base);
    if (!data) fail(`the committed records at ${f.committed.base} are missing`);
    expectTrue((data.readInt16BE(21) & Attr.Transactional) !== 0, 'the committed batch is not marked transactional');
    expectRecords(records(data), f.committed.records, 'committed records');
    const commit = at(f.committed.base + 3n);
    const cm = commit && controlOf(commit);
    if (!cm) fail(`no control batch at ${f.committed.base + 3n} after the committed records`);
    expectMarker(cm, f.producerId, COMMIT, 0, 0x7fff, 'commit marker');
    const abort = at(f.aborted.base + 2n);
    const am = abort && controlOf(abort);
    if (!am) fail(`no control batch at ${f.aborted.base + 2n} after the aborted records`);
    expectMarker(am, f.producerId, ABORT, 0, 0x7fff, 'abort marker');
    const aborted = (q: FetchPartition) => JSON.stringify((q.abortedTransactions ?? []).filter((t) => t.producerId === f.producerId).map((t) => String(t.firstOffset)));
    expectEqual(aborted(p), JSON.stringify([String(f.aborted.base)]), 'abortedTransactions of the producer (first offsets)');
    // A fetch from inside the aborted transaction still needs it to drop the rest of its records.
    const inside = await fetchPartition(await ctx.leader(f.topic), v, topicRef(f.topic), 0, f.aborted.base + 1n, { isolationLevel: 1 });
    expectNoError(inside.errorCode, 'errorCode of a fetch from inside the aborted transaction');
    expectEqual(aborted(inside), JSON.stringify([String(f.aborted.base)]), 'abortedTransactions of a fetch from inside the aborted transaction');
  },
};

const readUncommitted: Check = {
  id: 'fetch.read-uncommitted-txn',
  title: 'read_uncommitted returns the records of aborted and open transactions up to the high watermark',
  apiKey: Api.Fetch,
  versions: { min: 4 },
  requires: TXN_PRODUCE,
  async run(ctx, v) {
    const f = await fixture(ctx);
    const p = await readAt(ctx, f, v, 0);
    const batches = splitBatches(p.records);
    const at = (offset: bigint) => batches.find((b) => b.readBigInt64BE(0) === offset);
    for (const [what, span] of [['aborted', f.aborted], ['open', f.open]] as const) {
      const b = at(span.base);
      if (!b) fail(`the ${what} transaction's records at ${span.base} are missing`);
      expectRecords(records(b), span.records, `${what} records`);
    }
  },
};

const listLastStable: Check = {
  id: 'list-offsets.open-transaction',
  title: 'latest is the last stable offset under read_committed and the log end under read_uncommitted while a transaction is open',
  apiKey: Api.ListOffsets,
  versions: { min: 2 },
  requires: TXN_PRODUCE,
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const rc = await listOffset(c, v, f.topic.name, 0, -1n, { isolationLevel: 1 });
    expectNoError(rc.errorCode, 'read_committed errorCode');
    expectEqual(rc.offset, f.open.base, 'latest under read_committed (the first offset of the open transaction)');
    const ru = await listOffset(c, v, f.topic.name, 0, -1n, { isolationLevel: 0 });
    expectNoError(ru.errorCode, 'read_uncommitted errorCode');
    expectEqual(ru.offset, f.end, 'latest under read_uncommitted (the log end)');
  },
};

/** A read_committed fetch at the highest version from base: LSO = HW, the records, then the commit marker. */
async function expectCommitted(ctx: CheckContext, topic: TopicInfo, partition: number, base: bigint, sent: RecordInput[], producerId: bigint): Promise<void> {
  const where = tp(topic.name, partition);
  const m = await waitMarker(ctx, topic, partition, base, producerId);
  expectEqual(m.baseOffset, base + BigInt(sent.length), `${where}: offset of the commit marker`);
  expectEqual(m.type, COMMIT, `${where}: marker type (1 commit)`);
  const fv = ctx.suite.versions(Api.Fetch).filter((x) => x >= 4).pop();
  if (fv === undefined) return;
  const p = await fetchPartition(await ctx.leader(topic, partition), fv, topicRef(topic), partition, base, { isolationLevel: 1 });
  expectNoError(p.errorCode, `${where}: read_committed errorCode`);
  expectEqual(p.lastStableOffset, p.highWatermark, `${where}: lastStableOffset after the commit`);
  const [data, marker] = splitBatches(p.records);
  if (!data || !marker) fail(`${where}: read_committed returned ${splitBatches(p.records).length} batches, expected the records and the marker`);
  expectRecords(records(data), sent, `${where}: committed records`);
  expectTrue(controlOf(marker) !== null, `${where}: the batch after the records is not a control batch`);
}

const commitFlow: Check = {
  id: 'scenario.transaction',
  title: 'a transaction over two partitions with consumer offsets: held back until the commit, then visible with markers and offsets',
  apiKey: null,
  requires: [...TXN_PRODUCE, Api.AddOffsetsToTxn, Api.TxnOffsetCommit, Api.Fetch, Api.OffsetFetch],
  async run(ctx) {
    const topic = await ctx.suite.fixture('txn-flow', { partitions: 2 });
    const groupId = txnId(ctx, 'txn-flow-group');
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-flow'));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0, 1] }]);
      const sent = [txnRecords('flow-p0', 3), txnRecords('flow-p1', 2)];
      const bases = [await produceTxn(ctx, p, topic, 0, sent[0]!), await produceTxn(ctx, p, topic, 1, sent[1]!)];
      await addOffsets(ctx, p, groupId);
      const gc = await coordinatorConnection(ctx, groupId);
      const offsets = new Map([[0, 17n], [1, 23n]]);
      const codes = await txnOffsetCommit(gc, ctx.suite.maxVersion(Api.TxnOffsetCommit), p, groupId, topic.name, offsets, 'flow');
      for (const i of [0, 1]) expectNoError(codes.get(i), `TxnOffsetCommit errorCode for partition ${i}`);
      if (ctx.suite.versions(Api.ListOffsets).some((x) => x >= 2)) expectEqual(await lastStable(ctx, topic, 0), bases[0], 'last stable offset while the transaction is open');
      await endTxn(ctx, p, true);
      for (const i of [0, 1]) await expectCommitted(ctx, topic, i, bases[i]!, sent[i]!, p.producerId);
      const ov = ctx.suite.maxVersion(Api.OffsetFetch);
      const got = await poll(async () => {
        const r = (await fetchOffsets(gc, ov, groupId, topic.name, [0, 1])).offsets;
        return r.get(0)?.offset === 17n && r.get(1)?.offset === 23n ? r : undefined;
      }, 10_000);
      if (!got) fail('the group does not have the offsets 17 and 23 of the transaction 10 s after the commit');
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const fencing: Check = {
  id: 'scenario.transaction-fencing',
  title: 'a new InitProducerId aborts the open transaction and fences the old producer; the new one commits',
  apiKey: null,
  requires: [...TXN_PRODUCE, Api.Fetch],
  async run(ctx) {
    const topic = await ctx.suite.fixture('txn-flow', { partitions: 2 });
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-fencing'));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const base = await produceTxn(ctx, p, topic, 0, txnRecords('zombie', 2));
      const old = { transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch, sequences: new Map(p.sequences) };
      await reinit(ctx, p);
      expectEqual(p.producerId, old.producerId, 'producer id after the new InitProducerId');
      expectTrue(p.producerEpoch > old.producerEpoch, `epoch ${p.producerEpoch} after the new InitProducerId is not above ${old.producerEpoch}`);
      const m = await waitMarker(ctx, topic, 0, base, old.producerId);
      expectEqual(m.baseOffset, base + 2n, 'offset of the abort marker of the fenced transaction');
      expectMarker(m, old.producerId, ABORT, old.producerEpoch + 1, p.producerEpoch, 'abort marker of the fenced transaction');
      const c = await ctx.leader(topic);
      const zombie = await produceTxnRaw(c, ctx.suite.versionIn(Api.Produce, 3), old.transactionalId, topic.name, 0, txnBatch(old, topic.name, 0, txnRecords('zombie-late', 1)));
      expectError(zombie.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'Produce errorCode for the fenced epoch');
      const av = ctx.suite.versionIn(Api.AddPartitionsToTxn, 0, 3);
      const add = await addPartitionsRaw(p.coordinator, av, old, [{ name: topic.name, partitions: [0] }]);
      expectError(add.codes.get(tp(topic.name, 0)), fencedCode(av, 2), 'AddPartitionsToTxn errorCode for the fenced epoch');
      const ev = ctx.suite.maxVersion(Api.EndTxn);
      expectError((await endTxnRaw(p.coordinator, ev, old, true)).errorCode, fencedCode(ev, 2), 'EndTxn errorCode for the fenced epoch');
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const sent = txnRecords('new-instance', 1);
      const next = await produceTxn(ctx, p, topic, 0, sent);
      expectEqual(next, base + 3n, 'offset of the records of the new producer (after the marker: the fenced batch was not stored)');
      await endTxn(ctx, p, true);
      await expectCommitted(ctx, topic, 0, next, sent, p.producerId);
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

export const transactionReadChecks: Check[] = [readCommitted, readUncommitted, listLastStable, commitFlow, fencing];
