/**
 * AddPartitionsToTxn (key 24), v0-5. v2 adds PRODUCER_FENCED (older
 * versions get INVALID_PRODUCER_EPOCH), v3 is flexible, v4 batches several
 * transactions with a top-level error and adds verify_only (KIP-890: v0-3
 * are for clients, v4+ for brokers checking that a partition is in a
 * transaction), v5 allows TRANSACTION_ABORTABLE.
 *
 * Per transaction, as Kafka: an empty transactional id is INVALID_REQUEST
 * on every partition; a partition that does not exist is
 * UNKNOWN_TOPIC_OR_PARTITION and the others then OPERATION_NOT_ATTEMPTED
 * (nothing is added); otherwise the coordinator's single answer goes to
 * every partition (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED,
 * CONCURRENT_TRANSACTIONS while the previous transaction's markers are
 * written, NOT_COORDINATOR...). verify_only answers per partition: in the
 * transaction or not (INVALID_TXN_STATE, TRANSACTION_ABORTABLE from v5).
 */
import { addPartitionsToTxnRequestMeta, type AddPartitionsToTxnTopic } from '../protocol/generated/add-partitions-to-txn-request.js';
import { addPartitionsToTxnResponseMeta, type AddPartitionsToTxnResult, type AddPartitionsToTxnTopicResult } from '../protocol/generated/add-partitions-to-txn-response.js';
import type { Input } from '../protocol/primitives/index.js';
import type { TopicPartition } from '../txn/txn-records.js';
import type { RequestContext } from './context.js';
import { fencedFor } from '../txn/txn-errors.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

interface TxnInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: readonly AddPartitionsToTxnTopic[];
}

registerApi({
  request: addPartitionsToTxnRequestMeta,
  response: addPartitionsToTxnResponseMeta,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (ctx.apiVersion < 4) {
      const r = await addForTxn(ctx, {
        transactionalId: req.v3AndBelowTransactionalId,
        producerId: req.v3AndBelowProducerId,
        producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false,
        topics: req.v3AndBelowTopics,
      });
      return { resultsByTopicV3AndBelow: r };
    }
    const resultsByTransaction: Input<AddPartitionsToTxnResult>[] = await Promise.all(
      req.transactions.map(async (t) => ({ transactionalId: t.transactionalId, topicResults: await addForTxn(ctx, t) })),
    );
    return { errorCode: ErrorCode.NONE, resultsByTransaction };
  },
});

async function addForTxn(ctx: RequestContext, t: TxnInput): Promise<Input<AddPartitionsToTxnTopicResult>[]> {
  const image = ctx.broker.image();
  const codes = new Map<string, number[]>();
  const partitions: TopicPartition[] = [];
  let unknown = false;
  for (const topic of t.topics) {
    const info = image.topic(topic.name);
    codes.set(topic.name, topic.partitions.map((p) => {
      if (!info || p < 0 || p >= info.partitions.length) {
        unknown = true;
        return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      }
      partitions.push({ topic: topic.name, partition: p });
      return ErrorCode.NONE;
    }));
  }
  const answer = (codeFor: (topic: string, i: number, own: number) => number): Input<AddPartitionsToTxnTopicResult>[] =>
    t.topics.map((topic) => ({
      name: topic.name,
      resultsByPartition: topic.partitions.map((partitionIndex, i) => ({ partitionIndex, partitionErrorCode: codeFor(topic.name, i, codes.get(topic.name)?.[i] ?? 0) })),
    }));
  if (t.transactionalId === '') return answer(() => ErrorCode.INVALID_REQUEST);
  if (unknown) return answer((_topic, _i, own) => (own === ErrorCode.NONE ? ErrorCode.OPERATION_NOT_ATTEMPTED : own));
  const ref = { transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch };
  if (t.verifyOnly) {
    const res = ctx.broker.txns.verifyPartitions(ref, partitions, ctx.apiVersion >= 5 ? 'TRANSACTION_ABORTABLE' : 'INVALID_TXN_STATE');
    if (typeof res === 'number') return answer(() => res);
    let k = 0;
    return answer(() => res[k++] ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  const error = fencedFor(await ctx.broker.txns.addPartitions(ref, partitions), ctx.apiVersion, 2);
  return answer(() => error);
}
