/**
 * ListTransactions (key 66), v0-1 (flexible; KIP-664). Each broker lists
 * the transactional ids its coordinator partitions hold, filtered by state
 * names (unknown names are returned in UnknownStateFilters and match
 * nothing), by producer ids, and from v1 by duration (KIP-994: only
 * transactions running longer than DurationFilter ms; -1 for all).
 * COORDINATOR_LOAD_IN_PROGRESS while a partition loads.
 */
import { listTransactionsRequestMeta } from '../protocol/generated/list-transactions-request.js';
import { listTransactionsResponseMeta } from '../protocol/generated/list-transactions-response.js';
import { registerApi } from './registry.js';

registerApi({
  request: listTransactionsRequestMeta,
  response: listTransactionsResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const r = ctx.broker.txns.list({
      states: req.stateFilters,
      producerIds: req.producerIdFilters,
      durationMs: ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1,
    });
    return {
      errorCode: r.errorCode,
      unknownStateFilters: r.unknownStateFilters,
      transactionStates: r.states.map((s) => ({ transactionalId: s.transactionalId, producerId: s.producerId, transactionState: s.state })),
    };
  },
});
