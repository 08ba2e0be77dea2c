/**
 * OffsetFetch (key 9), v1-9 (the Kafka 4.0 floor is v1). v2 allows null
 * topics (all of the group's offsets) and adds a top-level error code, v3
 * throttle time, v5 the committed leader epoch, v6 flexible, v7
 * require_stable (KIP-447), v8 several groups in one request (KIP-709), v9
 * the KIP-848 member id and epoch (not checked for classic groups, as in
 * Kafka).
 *
 * A partition without a committed offset answers offset -1, leader epoch
 * -1, metadata "", no error, also for a group that does not exist.
 * Coordinator errors are per partition in v1, top-level in v2-7 and per
 * group in v8+. With require_stable the fetch waits behind the group's
 * pending writes, and a partition an open transaction has committed an
 * offset for answers UNSTABLE_OFFSET_COMMIT (the consumer retries).
 */
import { offsetFetchRequestMeta } from '../protocol/generated/offset-fetch-request.js';
import { offsetFetchResponseMeta, type OffsetFetchResponseGroup } from '../protocol/generated/offset-fetch-response.js';
import type { Input } from '../protocol/primitives/index.js';
import type { FetchedTopic } from '../group/offset-ops.js';
import type { RequestContext } from './context.js';
import { ErrorCode, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

interface Asked {
  groupId: string;
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

registerApi({
  request: offsetFetchRequestMeta,
  response: offsetFetchResponseMeta,
  minVersion: 1,
  maxVersion: 9,
  async handle(ctx, req) {
    const requireStable = ctx.apiVersion >= 7 && req.requireStable;
    if (ctx.apiVersion >= 8) {
      const groups: Input<OffsetFetchResponseGroup>[] = [];
      for (const g of req.groups) {
        const r = await fetchGroup(ctx, { groupId: g.groupId, topics: g.topics }, requireStable);
        groups.push({ groupId: g.groupId, errorCode: r.errorCode, topics: r.errorCode === ErrorCode.NONE ? r.topics : [] });
      }
      return { groups };
    }
    const asked: Asked = { groupId: req.groupId, topics: req.topics };
    const r = await fetchGroup(ctx, asked, requireStable);
    if (r.errorCode === ErrorCode.NONE) return { errorCode: ErrorCode.NONE, topics: r.topics };
    if (ctx.apiVersion >= 2) return { errorCode: r.errorCode, topics: [] };
    // v1 has no top-level error: every asked partition carries it.
    const topics = (asked.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode: r.errorCode })),
    }));
    return { errorCode: r.errorCode, topics };
  },
});

async function fetchGroup(ctx: RequestContext, asked: Asked, requireStable: boolean): Promise<{ errorCode: number; topics: FetchedTopic[] }> {
  const groups = ctx.broker.groups;
  try {
    const topics = requireStable
      ? await groups.write(asked.groupId, (shard) => shard.fetchOffsets(asked.groupId, asked.topics, true))
      : groups.read(asked.groupId, (shard) => shard.fetchOffsets(asked.groupId, asked.topics));
    return { errorCode: ErrorCode.NONE, topics };
  } catch (err) {
    return { errorCode: toErrorCode(err), topics: [] };
  }
}
