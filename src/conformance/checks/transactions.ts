/**
 * Transactions (KIP-98) API by API, at every advertised version:
 * FindCoordinator (10) for a transactional id, InitProducerId (22) with a
 * transactional id, AddPartitionsToTxn (24) in the client form (v0-3) and
 * the batched broker form (v4+, KIP-890), AddOffsetsToTxn (25), EndTxn (26)
 * and TxnOffsetCommit (28). Each check runs only when the broker advertises
 * the APIs it needs, with its own transactional ids, and aborts what it left
 * open.
 *
 * Kafka semantics checked: InitProducerId keeps the producer id of a
 * transactional id and bumps its epoch each time; KIP-360 resumes (v3+)
 * bump from the current epoch, a retried resume gets the same epoch, an
 * older epoch is fenced; a stale epoch is PRODUCER_FENCED from
 * InitProducerId v4 and AddPartitionsToTxn / AddOffsetsToTxn / EndTxn v2
 * (INVALID_PRODUCER_EPOCH before, KIP-588); a producer id that is not the
 * transactional id's is INVALID_PRODUCER_ID_MAPPING; a partition that does
 * not exist is UNKNOWN_TOPIC_OR_PARTITION and fails the whole add
 * (OPERATION_NOT_ATTEMPTED for the others); verify_only (v4+) adds nothing
 * and answers per partition; EndTxn on a transaction that never started is
 * INVALID_TXN_STATE, a repeated decision NONE, the opposite one
 * INVALID_TXN_STATE, and the commit or abort marker follows the records;
 * transactional offsets stay pending (UNSTABLE_OFFSET_COMMIT with
 * require_stable) until the commit makes them the group's, and an abort
 * drops them.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail } from '../assert.js';
import { Api, fetchPartition, topicRef } from '../ops.js';
import { poll, type CheckContext } from '../suite.js';
import { coordinatorConnection, fetchOffsets } from './group-flow.js';
import {
  ABORT,
  COMMIT,
  TXN_BASE,
  abortQuietly,
  addOffsets,
  addOffsetsRaw,
  addPartitions,
  addPartitionsBatch,
  addPartitionsRaw,
  describeTxn,
  endTxn,
  endTxnRaw,
  expectMarker,
  fencedCode,
  idsOnOneCoordinator,
  initProducerIdTxn,
  initTxn,
  initTxnRetrying,
  locateTxnCoordinator,
  produceTxn,
  reinit,
  tp,
  txnCoordinatorConnection,
  txnId,
  txnOffsetCommit,
  txnRecords,
  txnTopic,
  waitMarker,
  type TxnProducer,
  type TxnRef,
} from './txn-flow.js';

const ref = (p: TxnProducer): TxnRef => ({ transactionalId: p.transactionalId, producerId: p.producerId, producerEpoch: p.producerEpoch });
const NOT_IN_TXN = [ErrorCode.INVALID_TXN_STATE, ErrorCode.TRANSACTION_ABORTABLE];

const findCoordinator: Check = {
  id: 'find-coordinator.transaction',
  title: 'names a live broker as the coordinator of a transactional id (key type 1)',
  apiKey: Api.FindCoordinator,
  versions: { min: 1 },
  tagged: true,
  async run(ctx, v) {
    const a = await locateTxnCoordinator(ctx, txnId(ctx, 'txn-coordinator', v), v);
    expectNoError(a.errorCode, 'errorCode');
    const b = ctx.suite.brokers.get(a.nodeId);
    expectTrue(b !== undefined, `coordinator ${a.nodeId} is not a broker in Metadata`);
    expectEqual(`${a.host}:${a.port}`, `${b.host}:${b.port}`, 'coordinator endpoint');
  },
};

const initTransactional: Check = {
  id: 'init-producer-id.transactional',
  title: 'keeps the producer id of a transactional id and bumps its epoch; KIP-360 resumes and retries (v3+); stale epochs fenced',
  apiKey: Api.InitProducerId,
  versions: 'all',
  tagged: true,
  requires: [Api.FindCoordinator],
  async run(ctx, v) {
    const id = txnId(ctx, 'txn-init', v);
    const c = await txnCoordinatorConnection(ctx, id);
    const a = await initTxnRetrying(c, v, id);
    expectTrue(a.producerId >= 0n && a.producerEpoch >= 0, `producer id ${a.producerId}, epoch ${a.producerEpoch}`);
    const b = await initTxnRetrying(c, v, id);
    expectEqual(b.producerId, a.producerId, 'producer id of the second InitProducerId');
    expectEqual(b.producerEpoch, a.producerEpoch + 1, 'epoch of the second InitProducerId');
    expectError((await initProducerIdTxn(c, v, id, { timeoutMs: 0 })).errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'errorCode for a 0 ms transaction timeout');
    const huge = await initProducerIdTxn(c, v, id, { timeoutMs: 0x7fffffff });
    expectError(huge.errorCode, ErrorCode.INVALID_TRANSACTION_TIMEOUT, 'errorCode for a timeout above transaction.max.timeout.ms');
    expectError((await initProducerIdTxn(c, v, '')).errorCode, ErrorCode.INVALID_REQUEST, 'errorCode for an empty transactional id');
    if (v < 3) return;
    const resumed = await initTxnRetrying(c, v, id, { producerId: b.producerId, producerEpoch: b.producerEpoch });
    expectEqual(resumed.producerId, b.producerId, 'producer id after a resume');
    expectEqual(resumed.producerEpoch, b.producerEpoch + 1, 'epoch after a resume from the current epoch');
    const retried = await initTxnRetrying(c, v, id, { producerId: b.producerId, producerEpoch: b.producerEpoch });
    expectEqual(retried.producerEpoch, resumed.producerEpoch, 'epoch when the resume is retried');
    const stale = await initProducerIdTxn(c, v, id, { producerId: a.producerId, producerEpoch: a.producerEpoch });
    expectError(stale.errorCode, fencedCode(v, 4), `errorCode for a resume from the old epoch ${a.producerEpoch}`);
  },
};

const addClient: Check = {
  id: 'add-partitions-to-txn.client',
  title: 'adds partitions; unknown partitions fail the add (OPERATION_NOT_ATTEMPTED); wrong producer id and stale epoch refused',
  apiKey: Api.AddPartitionsToTxn,
  versions: { max: 3 },
  tagged: true,
  requires: [...TXN_BASE],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    const missing = ctx.suite.topicName(`missing-txn-v${v}`);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-add', v));
      const c = p.coordinator;
      const added = await addPartitionsRaw(c, v, p, [{ name: topic.name, partitions: [0, 1] }]);
      for (const i of [0, 1]) expectNoError(added.codes.get(tp(topic.name, i)), `errorCode for partition ${i}`);
      const again = await addPartitionsRaw(c, v, p, [{ name: topic.name, partitions: [0] }]);
      expectNoError(again.codes.get(tp(topic.name, 0)), 'errorCode for a partition already in the transaction');
      const bad = await addPartitionsRaw(c, v, p, [{ name: topic.name, partitions: [0, 7] }, { name: missing, partitions: [0] }]);
      expectError(bad.codes.get(tp(topic.name, 0)), ErrorCode.OPERATION_NOT_ATTEMPTED, 'errorCode for a good partition next to unknown ones');
      expectError(bad.codes.get(tp(topic.name, 7)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for partition 7 of a 2-partition topic');
      expectError(bad.codes.get(tp(missing, 0)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for a topic that does not exist');
      const wrongId = await addPartitionsRaw(c, v, { ...ref(p), producerId: p.producerId + 1n }, [{ name: topic.name, partitions: [0] }]);
      expectError(wrongId.codes.get(tp(topic.name, 0)), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'errorCode for another producer id');
      const old = ref(p);
      await reinit(ctx, p);
      const stale = await addPartitionsRaw(c, v, old, [{ name: topic.name, partitions: [0] }]);
      expectError(stale.codes.get(tp(topic.name, 0)), fencedCode(v, 2), `errorCode for epoch ${old.producerEpoch} after a new InitProducerId`);
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const addBatched: Check = {
  id: 'add-partitions-to-txn.batched',
  title: 'adds partitions for several transactions in one request; verify_only answers per partition and adds nothing (KIP-890)',
  apiKey: Api.AddPartitionsToTxn,
  versions: { min: 4 },
  tagged: true,
  requires: [...TXN_BASE],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    const [idA, idB] = await idsOnOneCoordinator(ctx, `txn-batched-v${v}`, 2);
    let p: TxnProducer | undefined;
    let q: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, idA!);
      q = await initTxn(ctx, idB!);
      const c = p.coordinator;
      const added = await addPartitionsBatch(c, v, [
        { ...ref(p), topics: [{ name: topic.name, partitions: [0] }], verifyOnly: false },
        { ...ref(q), topics: [{ name: topic.name, partitions: [1] }], verifyOnly: false },
      ]);
      // Kafka requires CLUSTER_ACTION for v4+, which a client may lack.
      if (added.errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED && !ctx.suite.krill) return;
      expectNoError(added.errorCode, 'top-level errorCode');
      expectNoError(added.byTxn.get(p.transactionalId)?.get(tp(topic.name, 0)), 'errorCode of the first transaction');
      expectNoError(added.byTxn.get(q.transactionalId)?.get(tp(topic.name, 1)), 'errorCode of the second transaction');
      const verified = await addPartitionsBatch(c, v, [
        { ...ref(p), topics: [{ name: topic.name, partitions: [0, 1] }], verifyOnly: true },
        { ...ref(q), producerId: q.producerId + 1n, topics: [{ name: topic.name, partitions: [1] }], verifyOnly: true },
      ]);
      expectNoError(verified.errorCode, 'top-level errorCode of verify_only');
      const a = verified.byTxn.get(p.transactionalId);
      expectNoError(a?.get(tp(topic.name, 0)), 'verify_only errorCode for a partition in the transaction');
      // Kafka's coordinator answers TRANSACTION_ABORTABLE at v4 too; Krill keeps that code for v5+.
      const notIn = ctx.suite.krill ? (v >= 5 ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE) : NOT_IN_TXN;
      expectError(a?.get(tp(topic.name, 1)), notIn, 'verify_only errorCode for a partition not in the transaction');
      expectError(verified.byTxn.get(q.transactionalId)?.get(tp(topic.name, 1)), ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'verify_only errorCode for another producer id');
      if (ctx.suite.has(Api.DescribeTransactions)) {
        const s = await describeTxn(c, ctx.suite.maxVersion(Api.DescribeTransactions), p.transactionalId);
        expectEqual(JSON.stringify(s.topics.map((t) => [t.topic, [...t.partitions].sort()])), JSON.stringify([[topic.name, [0]]]), 'partitions of the transaction after verify_only');
      }
    } finally {
      await abortQuietly(ctx, p);
      await abortQuietly(ctx, q);
    }
  },
};

const addOffsetsCheck: Check = {
  id: 'add-offsets-to-txn.add',
  title: "adds the group's offsets partition to the transaction; wrong producer id and stale epoch refused",
  apiKey: Api.AddOffsetsToTxn,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE],
  async run(ctx, v) {
    const groupId = txnId(ctx, 'txn-offsets-group', v);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-add-offsets', v));
      const c = p.coordinator;
      expectNoError((await addOffsetsRaw(c, v, p, groupId)).errorCode, 'errorCode');
      if (ctx.suite.has(Api.DescribeTransactions)) {
        const s = await describeTxn(c, ctx.suite.maxVersion(Api.DescribeTransactions), p.transactionalId);
        expectEqual(s.transactionState, 'Ongoing', 'transaction state after AddOffsetsToTxn');
        const parts = s.topics.filter((t) => t.topic === '__consumer_offsets').flatMap((t) => t.partitions);
        expectEqual(parts.length, 1, '__consumer_offsets partitions in the transaction');
      }
      expectError((await addOffsetsRaw(c, v, { ...ref(p), producerId: p.producerId + 1n }, groupId)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'errorCode for another producer id');
      const old = ref(p);
      await reinit(ctx, p);
      expectError((await addOffsetsRaw(c, v, old, groupId)).errorCode, fencedCode(v, 2), `errorCode for epoch ${old.producerEpoch} after a new InitProducerId`);
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

/** Waits (10 s) until the group's committed offset for partition 0 is `offset`. */
async function waitCommitted(ctx: CheckContext, groupId: string, topic: string, offset: bigint): Promise<{ offset: bigint; metadata: string | null } | undefined> {
  const c = await coordinatorConnection(ctx, groupId);
  const v = ctx.suite.maxVersion(Api.OffsetFetch);
  return poll(async () => {
    const got = (await fetchOffsets(c, v, groupId, topic, [0])).offsets.get(0);
    return got?.offset === offset ? got : undefined;
  }, 10_000);
}

const txnCommit: Check = {
  id: 'txn-offset-commit.commit',
  title: 'offsets stay pending (UNSTABLE_OFFSET_COMMIT with require_stable) until the commit; an abort drops them',
  apiKey: Api.TxnOffsetCommit,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE, Api.AddOffsetsToTxn, Api.EndTxn, Api.OffsetFetch],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    const groupId = txnId(ctx, 'txn-commit-group', v);
    const gc = await coordinatorConnection(ctx, groupId);
    const stableV = ctx.suite.versions(Api.OffsetFetch).filter((x) => x >= 7).pop();
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-commit', v));
      await addOffsets(ctx, p, groupId);
      const codes = await txnOffsetCommit(gc, v, p, groupId, topic.name, new Map([[0, 42n]]), 'txn-meta');
      expectNoError(codes.get(0), 'partition errorCode');
      const missing = await txnOffsetCommit(gc, v, p, groupId, ctx.suite.topicName(`missing-txn-commit-v${v}`), new Map([[0, 1n]]), null);
      expectError(missing.get(0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition errorCode for a topic that does not exist');
      if (stableV !== undefined) {
        const pending = await fetchOffsets(gc, stableV, groupId, topic.name, [0], true);
        expectError(pending.offsets.get(0)?.errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT, 'OffsetFetch require_stable errorCode while the offset is pending');
      }
      await endTxn(ctx, p, true);
      const committed = await waitCommitted(ctx, groupId, topic.name, 42n);
      if (!committed) fail('the group does not have the offset 42 of the committed transaction 10 s later');
      expectEqual(committed.metadata, 'txn-meta', 'metadata of the committed offset');
      if (stableV === undefined && !ctx.suite.has(Api.DescribeTransactions)) return;
      await addOffsets(ctx, p, groupId);
      expectNoError((await txnOffsetCommit(gc, v, p, groupId, topic.name, new Map([[0, 99n]]), null)).get(0), 'partition errorCode in the second transaction');
      await endTxn(ctx, p, false);
      const settled = await poll(async () => {
        const got = (await fetchOffsets(gc, stableV ?? ctx.suite.maxVersion(Api.OffsetFetch), groupId, topic.name, [0], stableV !== undefined)).offsets.get(0);
        return got && got.errorCode !== ErrorCode.UNSTABLE_OFFSET_COMMIT ? got : undefined;
      }, 10_000);
      if (!settled) fail('the aborted offset is still pending 10 s after EndTxn');
      expectEqual(settled.offset, 42n, 'committed offset after an aborted transaction (its offset dropped)');
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const endCommitAbort: Check = {
  id: 'end-txn.commit-abort',
  title: 'commits and aborts: the marker follows the records; a repeated decision is NONE, the opposite one INVALID_TXN_STATE',
  apiKey: Api.EndTxn,
  versions: 'all',
  tagged: true,
  requires: [...TXN_BASE, Api.AddPartitionsToTxn, Api.Produce, Api.Fetch],
  async run(ctx, v) {
    const topic = await txnTopic(ctx);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-end', v));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const base = await produceTxn(ctx, p, topic, 0, txnRecords(`end-v${v}`, 2));
      await endTxn(ctx, p, true, v);
      const cm = await waitMarker(ctx, topic, 0, base + 2n, p.producerId);
      expectEqual(cm.baseOffset, base + 2n, 'offset of the commit marker (right after the records)');
      expectMarker(cm, p.producerId, COMMIT, p.producerEpoch, p.producerEpoch, 'commit marker');
      if (v < 5) {
        // Transaction version 2 (v5+) bumps the epoch at every EndTxn, so a repeat is another request there.
        const repeat = await poll(async () => {
          const r = await endTxnRaw(p!.coordinator, v, p!, true);
          return r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS ? undefined : r;
        }, 10_000);
        expectNoError(repeat?.errorCode, 'errorCode when the commit is repeated');
        expectError((await endTxnRaw(p.coordinator, v, p, false)).errorCode, ErrorCode.INVALID_TXN_STATE, 'errorCode for an abort after the commit');
      }
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [0] }]);
      const aborted = await produceTxn(ctx, p, topic, 0, txnRecords(`end-abort-v${v}`, 1));
      await endTxn(ctx, p, false, v);
      const am = await waitMarker(ctx, topic, 0, aborted + 1n, p.producerId);
      expectEqual(am.baseOffset, aborted + 1n, 'offset of the abort marker (right after the records)');
      expectMarker(am, p.producerId, ABORT, p.producerEpoch, p.producerEpoch, 'abort marker');
      const fv = ctx.suite.versions(Api.Fetch).filter((x) => x >= 4).pop();
      if (fv !== undefined) {
        const rc = await fetchPartition(await ctx.leader(topic), fv, topicRef(topic), 0, base, { isolationLevel: 1 });
        expectNoError(rc.errorCode, 'read_committed Fetch errorCode');
        if (rc.lastStableOffset <= aborted) fail(`the last stable offset ${rc.lastStableOffset} is held below the aborted transaction at ${aborted} (an earlier transaction on the partition never ended?)`);
        const listed = (rc.abortedTransactions ?? []).filter((t) => t.producerId === p!.producerId).map((t) => t.firstOffset);
        expectEqual(JSON.stringify(listed.map(String)), JSON.stringify([String(aborted)]), 'aborted transactions of the producer listed by a read_committed fetch');
      }
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

const endErrors: Check = {
  id: 'end-txn.errors',
  title: 'no transaction started is INVALID_TXN_STATE; wrong producer id INVALID_PRODUCER_ID_MAPPING; a stale epoch is fenced',
  apiKey: Api.EndTxn,
  versions: 'all',
  requires: [...TXN_BASE],
  async run(ctx, v) {
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'txn-end-errors', v));
      const c = p.coordinator;
      expectError((await endTxnRaw(c, v, p, true)).errorCode, ErrorCode.INVALID_TXN_STATE, 'errorCode for a commit with no transaction started');
      // Transaction version 2 (v5+) lets a producer abort an empty transaction to bump its epoch.
      if (v < 5) expectError((await endTxnRaw(c, v, p, false)).errorCode, ErrorCode.INVALID_TXN_STATE, 'errorCode for an abort with no transaction started');
      expectError((await endTxnRaw(c, v, { ...ref(p), producerId: p.producerId + 1n }, true)).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING, 'errorCode for another producer id');
      const old = ref(p);
      await reinit(ctx, p);
      await reinit(ctx, p);
      expectError((await endTxnRaw(c, v, old, true)).errorCode, fencedCode(v, 2), `errorCode for epoch ${old.producerEpoch} after two new InitProducerIds`);
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

export const transactionApiChecks: Check[] = [findCoordinator, initTransactional, addClient, addBatched, addOffsetsCheck, txnCommit, endCommitAbort, endErrors];
