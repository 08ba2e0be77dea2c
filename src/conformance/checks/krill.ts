/**
 * Krill-specific checks, run only with --krill: behaviour Krill documents
 * that a Kafka broker legitimately does differently.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail } from '../assert.js';
import { Api, fetchRaw, topicRef } from '../ops.js';
import { coordinatorConnection } from './group-flow.js';
import { abortQuietly, addPartitions, initTxn, produceTxnRaw, txnBatch, txnId, txnOffsetCommit, txnRecords, txnTopic, type TxnProducer } from './txn-flow.js';

const sessionless: Check = {
  id: 'krill.fetch-sessionless',
  title: 'Krill answers fetches without sessions: a request to open one gets session id 0 (KIP-227 allows it)',
  apiKey: Api.Fetch,
  versions: { min: 7 },
  krillOnly: true,
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('krill');
    const c = await ctx.leader(topic);
    const res = await fetchRaw(c, v, topicRef(topic), 0, 0n, { sessionId: 0, sessionEpoch: 0 });
    expectNoError(res.errorCode, 'errorCode');
    expectEqual(res.sessionId, 0, 'sessionId');
  },
};

const brokerConfigs: Check = {
  id: 'krill.broker-configs',
  title: "Krill's broker configs include krill.fsync.before.ack",
  apiKey: Api.DescribeConfigs,
  krillOnly: true,
  async run(ctx) {
    const [nodeId] = [...ctx.suite.brokers.keys()];
    if (nodeId === undefined) fail('no brokers in Metadata');
    const c = await ctx.conn(nodeId);
    const res = await c.request(Api.DescribeConfigs, ctx.suite.maxVersion(Api.DescribeConfigs), {
      resources: [{ resourceType: 4, resourceName: String(nodeId), configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0];
    expectNoError(r?.errorCode, 'errorCode');
    expectTrue(r!.configs.some((x) => x.name === 'krill.fsync.before.ack'), 'krill.fsync.before.ack is not listed');
  },
};

const txnVerification: Check = {
  id: 'krill.txn-verification',
  title: 'Krill verifies transactional writes (KIP-890): records or offsets for a partition not in the transaction are INVALID_TXN_STATE',
  apiKey: Api.Produce,
  krillOnly: true,
  requires: [Api.FindCoordinator, Api.InitProducerId, Api.AddPartitionsToTxn, Api.TxnOffsetCommit],
  async run(ctx) {
    const topic = await txnTopic(ctx);
    let p: TxnProducer | undefined;
    try {
      p = await initTxn(ctx, txnId(ctx, 'krill-txn-verify'));
      await addPartitions(ctx, p, [{ name: topic.name, partitions: [1] }]);
      const c = await ctx.leader(topic);
      const r = await produceTxnRaw(c, ctx.suite.maxVersion(Api.Produce), p.transactionalId, topic.name, 0, txnBatch(p, topic.name, 0, txnRecords('unverified', 1)));
      expectError(r.errorCode, ErrorCode.INVALID_TXN_STATE, 'Produce errorCode for a partition not added to the transaction');
      const groupId = txnId(ctx, 'krill-txn-verify-group');
      const gc = await coordinatorConnection(ctx, groupId);
      const codes = await txnOffsetCommit(gc, ctx.suite.maxVersion(Api.TxnOffsetCommit), p, groupId, topic.name, new Map([[0, 1n]]), null);
      expectError(codes.get(0), ErrorCode.INVALID_TXN_STATE, 'TxnOffsetCommit errorCode without AddOffsetsToTxn');
    } finally {
      await abortQuietly(ctx, p);
    }
  },
};

export const krillChecks: Check[] = [sessionless, brokerConfigs, txnVerification];
