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
 */
import { fetchRequestMeta, type FetchRequest } from '../protocol/generated/fetch-request.js';
import { fetchResponseMeta, type FetchableTopicResponse, type PartitionData } from '../protocol/generated/fetch-response.js';
import type { Input } from '../protocol/primitives/index.js';
import type { RequestContext } from './context.js';
import { ErrorCode, KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

interface Wanted {
  topic: string | null;
  out: Input<PartitionData>;
  offset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
}

registerApi({
  request: fetchRequestMeta,
  response: fetchResponseMeta,
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, req) {
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
          else wanted.push({ topic: name, out, offset: Number(p.fetchOffset), partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch });
          return out;
        }),
      };
    });
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    for (;;) {
      const bytes = await readAll(ctx, req, wanted);
      const remaining = deadline - Date.now();
      const anyError = wanted.some((w) => w.out.errorCode !== 0);
      if (bytes >= req.minBytes || remaining <= 0 || anyError || wanted.length === 0) break;
      await ctx.broker.replicas.waitForData(
        wanted.map((w) => ({ topic: w.topic!, partition: w.out.partitionIndex! })),
        remaining,
      );
    }
    return { errorCode: 0, sessionId: 0, responses };
  },
});

/** Reads every wanted partition once; returns the bytes gathered. */
async function readAll(ctx: RequestContext, req: FetchRequest, wanted: Wanted[]): Promise<number> {
  const replicas = ctx.broker.replicas;
  let total = 0;
  const maxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  for (const w of wanted) {
    const out = w.out;
    out.errorCode = 0;
    out.records = null;
    if (req.isolationLevel === 1) out.abortedTransactions = [];
    try {
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

function setOffsets(out: Input<PartitionData>, hw: number, lso: number, logStart: number): void {
  out.highWatermark = BigInt(hw);
  out.lastStableOffset = BigInt(lso);
  out.logStartOffset = BigInt(logStart);
}
