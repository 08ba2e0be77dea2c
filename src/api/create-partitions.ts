/**
 * CreatePartitions (key 37), v0-3. Grows a topic to `count` partitions,
 * placing new replicas over live brokers unless an assignment is given
 * (one replica list per new partition). A count that is not an increase is
 * INVALID_PARTITIONS. validateOnly checks without changing anything.
 */
import { createPartitionsRequestMeta } from '../protocol/generated/create-partitions-request.js';
import { createPartitionsResponseMeta } from '../protocol/generated/create-partitions-response.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: createPartitionsRequestMeta,
  response: createPartitionsResponseMeta,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const unique = req.topics.filter((t) => seen.get(t.name) === 1);
    const results = await ctx.broker.controller.createPartitions(
      unique.map((t) => ({ name: t.name, count: t.count, assignments: t.assignments ? t.assignments.map((a) => a.brokerIds) : null })),
      req.validateOnly,
    );
    const dupes = [...seen].filter(([, n]) => n > 1).map(([name]) => ({ name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' }));
    return { results: [...results, ...dupes] };
  },
});
