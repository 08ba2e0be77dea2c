/**
 * Fetch (key 1), v4-17 (the Kafka 4.0 floor is v4). v7+ has fetch sessions
 * (KIP-227): Krill answers sessionless (session id 0), so clients send full
 * requests, which Kafka allows; an unknown session id is
 * FETCH_SESSION_ID_NOT_FOUND. v12+ is flexible, v13+ names topics by id.
 *
 * Stored batch bytes are copied into the response as they are. Limits:
 * partition_max_bytes per partition and max_bytes overall, except that the
 * first partition with data returns at least one whole batch even when it is
 * larger (KIP-74). Long poll: when fewer than min_bytes are ready the
 * request waits up to max_wait_ms for any of its partitions' high
 * watermarks to move, then reads again.
 *
 * isolation_level=1 (read_committed, KIP-98) reads only below the last
 * stable offset and lists the aborted transactions (producer id, first
 * offset) overlapping the returned batches, so consumers drop their records.
 *
 * KRaft: served on client and CONTROLLER listeners; a fetch of
 * __cluster_metadata is a Raft follower or observer pulling the metadata
 * log and goes to the Raft transport (controller/raft-transport.ts).
 *
 * Replication: a fetch from a replica (replica_id >= 0 before v15,
 * replica_state from v15, KIP-903) reads up to the log end instead of the
 * high watermark, reports the follower's position to the leader (which
 * may move the high watermark and the ISR), long-polls on the log end, and
 * answers a diverging epoch (v12+, KIP-320) when the follower's last
 * fetched epoch ends earlier on the leader. NOT_LEADER_OR_FOLLOWER and
 * FENCED_LEADER_EPOCH carry the current leader (v12+) and, from v16, its
 * endpoint (KIP-951).
 */
import { fetchRequestMeta, type FetchRequest } from '../protocol/generated/fetch-request.js';
import { fetchResponseMeta, type FetchableTopicResponse, type PartitionData } from '../protocol/generated/fetch-response.js';
import type { Input } from '../protocol/primitives/index.js';
import type { RequestContext } from './context.js';
import { ErrorCode, KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';
import { endpointOf, type Endpoint } from './endpoints.js';
import { isRaftFetch } from '../controller/raft-wire.js';

interface Wanted {
  topic: string | null;
  out: Input<PartitionData>;
  offset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** Who is fetching: a consumer (replicaId -1) or a follower replica. */
interface Fetcher {
  readonly replicaId: number;
  readonly replicaEpoch: bigint;
}

registerApi({
  request: fetchRequestMeta,
  response: fetchResponseMeta,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, req) {
    // KRaft: followers and observers of the metadata quorum fetch __cluster_metadata (controller/raft-transport.ts).
    if (isRaftFetch(req, ctx.apiVersion)) return ctx.broker.controller.quorum.transport.handleFetch(req, ctx.apiVersion);
    if (req.sessionId !== 0 && req.sessionEpoch !== -1) {
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const byId = ctx.apiVersion >= 13;
    const image = ctx.broker.image();
    const wanted: Wanted[] = [];
    const responses: Input<FetchableTopicResponse>[] = req.topics.map((t) => {
      const name = byId ? (image.topicsById.get(t.topicId)?.name ?? null) : t.topic;
      return {
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => {
          const out: Input<PartitionData> = {
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: -1n,
            lastStableOffset: -1n,
            logStartOffset: -1n,
            abortedTransactions: req.isolationLevel === 1 ? [] : null,
            records: null,
          };
          if (name === null) out.errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
          else wanted.push({ topic: name, out, offset: Number(p.fetchOffset), partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch });
          return out;
        }),
      };
    });
    const fetcher: Fetcher = ctx.apiVersion >= 15 ? { replicaId: req.replicaState.replicaId, replicaEpoch: req.replicaState.replicaEpoch } : { replicaId: req.replicaId, replicaEpoch: -1n };
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    for (let first = true; ; first = false) {
      const bytes = await readAll(ctx, req, wanted, fetcher, first);
      const remaining = deadline - Date.now();
      const anyError = wanted.some((w) => w.out.errorCode !== 0 || (w.out.divergingEpoch?.epoch ?? -1) >= 0);
      if (bytes >= req.minBytes || remaining <= 0 || anyError || wanted.length === 0) break;
      await ctx.broker.replicas.waitForData(
        wanted.map((w) => ({ topic: w.topic!, partition: w.out.partitionIndex! })),
        remaining,
        fetcher.replicaId >= 0,
      );
    }
    const nodeEndpoints = ctx.apiVersion >= 16 ? leaderEndpoints(ctx, wanted.map((w) => w.out.currentLeader?.leaderId ?? -1)) : [];
    return { errorCode: 0, sessionId: 0, responses, nodeEndpoints };
  },
});

/** Reads every wanted partition once; returns the bytes gathered. */
async function readAll(ctx: RequestContext, req: FetchRequest, wanted: Wanted[], fetcher: Fetcher, first: boolean): Promise<number> {
  const replicas = ctx.broker.replicas;
  let total = 0;
  const maxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  for (const w of wanted) {
    const out = w.out;
    out.errorCode = 0;
    out.records = null;
    if (req.isolationLevel === 1) out.abortedTransactions = [];
    try {
      if (fetcher.replicaId >= 0) {
        total += await readForFollower(ctx, w, fetcher, Math.max(0, Math.min(w.partitionMaxBytes, maxBytes - total)), total === 0, first);
        continue;
      }
      const p = replicas.leaderPartition(w.topic!, out.partitionIndex!);
      if (w.currentLeaderEpoch >= 0 && w.currentLeaderEpoch !== p.leaderEpoch) {
        throw new KafkaError(w.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
      }
      const budget = Math.min(w.partitionMaxBytes, maxBytes - total);
      const minOne = total === 0;
      if (budget <= 0 && !minOne) {
        setOffsets(out, p.highWatermark, p.lastStableOffset, p.log.logStartOffset);
        continue;
      }
      const r = await replicas.read(w.topic!, out.partitionIndex!, w.offset, Math.max(0, budget), minOne, req.isolationLevel === 1);
      setOffsets(out, r.highWatermark, r.lastStableOffset, r.logStartOffset);
      out.records = r.records;
      if (req.isolationLevel === 1) out.abortedTransactions = r.abortedTransactions ?? [];
      total += r.records.length;
    } catch (err) {
      out.errorCode = toErrorCode(err);
      if (!(err instanceof KafkaError)) ctx.broker.log.error({ err, topic: w.topic, partition: out.partitionIndex }, 'fetch failed');
      const p = replicas.partition(w.topic!, out.partitionIndex!);
      if (p) setOffsets(out, p.highWatermark, p.lastStableOffset, p.log.logStartOffset);
      if (out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || out.errorCode === ErrorCode.FENCED_LEADER_EPOCH) {
        const pi = ctx.broker.image().partition(w.topic!, out.partitionIndex!);
        if (pi) out.currentLeader = { leaderId: pi.leader, leaderEpoch: pi.leaderEpoch };
      }
    }
  }
  return total;
}

/** A follower's read of one partition (up to the log end); returns the bytes read. */
async function readForFollower(ctx: RequestContext, w: Wanted, fetcher: Fetcher, budget: number, minOneBatch: boolean, updateState: boolean): Promise<number> {
  const r = await ctx.broker.replicas.readForFollower(w.topic!, w.out.partitionIndex!, {
    replicaId: fetcher.replicaId,
    replicaEpoch: fetcher.replicaEpoch,
    fetchOffset: w.offset,
    currentLeaderEpoch: w.currentLeaderEpoch,
    lastFetchedEpoch: ctx.apiVersion >= 12 ? w.lastFetchedEpoch : -1,
    maxBytes: budget,
    minOneBatch,
    updateState,
  });
  setOffsets(w.out, r.highWatermark, r.lastStableOffset, r.logStartOffset);
  w.out.records = r.records;
  if (r.divergingEpoch) w.out.divergingEpoch = { epoch: r.divergingEpoch.epoch, endOffset: BigInt(r.divergingEpoch.endOffset) };
  return r.records.length;
}

/** Endpoints of the named leaders, on the listener the request came in on (KIP-951). */
function leaderEndpoints(ctx: RequestContext, ids: number[]): Endpoint[] {
  const image = ctx.broker.image();
  return [...new Set(ids.filter((id) => id >= 0))].flatMap((id) => {
    const b = image.brokers.get(id);
    const e = b && endpointOf(b, ctx.listenerName);
    return e ? [e] : [];
  });
}

function setOffsets(out: Input<PartitionData>, hw: number, lso: number, logStart: number): void {
  out.highWatermark = BigInt(hw);
  out.lastStableOffset = BigInt(lso);
  out.logStartOffset = BigInt(logStart);
}
