/**
 * DescribeTransactions (key 65), v0 (flexible; KIP-664). Sent to each
 * transactional id's coordinator: its state (Kafka's names: Empty,
 * Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort),
 * timeout, start time, producer id and epoch, and the partitions of the
 * transaction (while it finishes, those still waiting for their marker).
 * An empty id is INVALID_REQUEST, an unknown one TRANSACTIONAL_ID_NOT_FOUND,
 * one coordinated elsewhere NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS
 * while its partition loads.
 */
import { describeTransactionsRequestMeta } from '../protocol/generated/describe-transactions-request.js';
import { describeTransactionsResponseMeta, type TransactionState } from '../protocol/generated/describe-transactions-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: describeTransactionsRequestMeta,
  response: describeTransactionsResponseMeta,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    return {
      transactionStates: req.transactionalIds.map((transactionalId): Input<TransactionState> => {
        const failed = (errorCode: number): Input<TransactionState> => ({ errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] });
        if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
        const { errorCode, txn } = ctx.broker.txns.describe(transactionalId);
        if (!txn) return failed(errorCode);
        const byTopic = new Map<string, number[]>();
        for (const tp of txn.partitions) {
          let list = byTopic.get(tp.topic);
          if (!list) byTopic.set(tp.topic, (list = []));
          list.push(tp.partition);
        }
        return {
          errorCode,
          transactionalId,
          transactionState: txn.state,
          transactionTimeoutMs: txn.txnTimeoutMs,
          transactionStartTimeMs: BigInt(txn.txnStartTimestamp),
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
});
