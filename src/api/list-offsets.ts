/**
 * ListOffsets (key 2), v1-10 (v0 was removed in Kafka 4). Special
 * timestamps: -2 earliest (log start), -1 latest (high watermark, or last
 * stable offset under read_committed), -3 max timestamp (v7+, KIP-734),
 * -4 earliest local (v8+, the log start here: no tiered storage), -5 earliest
 * tiered (v9+, not tiered: -1). Any other timestamp finds the first offset
 * whose timestamp is at or after it, below the high watermark; none gives
 * offset -1. The leader epoch answered is the epoch that wrote the offset
 * found (from the leader epoch cache), and the current leader epoch for
 * latest, as Kafka answers (clients use it to detect truncation, KIP-320).
 */
import { listOffsetsRequestMeta } from '../protocol/generated/list-offsets-request.js';
import { listOffsetsResponseMeta, type ListOffsetsPartitionResponse } from '../protocol/generated/list-offsets-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { KafkaError, toErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';
import type { PartitionLog } from '../log/partition-log.js';
import { decodeBatch } from '../protocol/records.js';
import { batchPositions } from '../protocol/record-batch.js';

/**
 * The first record with a timestamp at or after ts. The log's time index
 * finds the batch; that one batch is decoded to find the record inside it,
 * as Kafka does (the only records ListOffsets decodes).
 */
async function recordForTimestamp(log: PartitionLog, ts: number): Promise<{ offset: number; timestamp: number } | null> {
  const found = await log.offsetForTimestamp(ts);
  if (!found) return null;
  // Normally the first batch holds the match; a compacted batch may not, so
  // walk forward batch by batch from there.
  let offset = found.offset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1, { minOneBatch: true });
    if (records.length === 0) return null;
    let next = offset;
    for (const [pos, size] of batchPositions(records)) {
      const batch = await decodeBatch(records.subarray(pos, pos + size));
      const hit = batch.records.find((r) => r.offset >= offset && r.timestamp >= ts);
      if (hit) return { offset: hit.offset, timestamp: hit.timestamp };
      next = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
    }
    if (next <= offset) return null;
    offset = next;
  }
  return null;
}

const EARLIEST = -2n;
const LATEST = -1n;
const MAX_TIMESTAMP = -3n;
const EARLIEST_LOCAL = -4n;
const EARLIEST_TIERED = -5n;

registerApi({
  request: listOffsetsRequestMeta,
  response: listOffsetsResponseMeta,
  minVersion: 1,
  maxVersion: 10,
  async handle(ctx, req) {
    const replicas = ctx.broker.replicas;
    const readCommitted = req.isolationLevel === 1;
    const topics = await Promise.all(
      req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (rp): Promise<Input<ListOffsetsPartitionResponse>> => {
            const out: Input<ListOffsetsPartitionResponse> = { partitionIndex: rp.partitionIndex, errorCode: 0, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            try {
              const p = replicas.leaderPartition(t.name, rp.partitionIndex);
              if (rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch) {
                throw new KafkaError(rp.currentLeaderEpoch < p.leaderEpoch ? 'FENCED_LEADER_EPOCH' : 'UNKNOWN_LEADER_EPOCH');
              }
              const limit = readCommitted ? p.lastStableOffset : p.highWatermark;
              const ts = rp.timestamp;
              if (ts === EARLIEST || ts === EARLIEST_LOCAL) {
                out.offset = BigInt(p.log.logStartOffset);
                out.leaderEpoch = p.epochs.epochForOffset(p.log.logStartOffset);
              } else if (ts === LATEST) {
                out.offset = BigInt(limit);
                out.leaderEpoch = p.leaderEpoch;
              } else if (ts === EARLIEST_TIERED) {
                out.offset = -1n;
              } else if (ts === MAX_TIMESTAMP) {
                const m = await p.log.maxTimestampAndOffset();
                if (m && m.offset < limit) {
                  out.offset = BigInt(m.offset);
                  out.timestamp = BigInt(m.timestamp);
                  out.leaderEpoch = p.epochs.epochForOffset(m.offset);
                }
              } else if (ts < 0n) {
                throw new KafkaError('INVALID_REQUEST', `unknown special timestamp ${ts}`);
              } else {
                const found = await recordForTimestamp(p.log, Number(ts));
                if (found && found.offset < limit) {
                  out.offset = BigInt(found.offset);
                  out.timestamp = BigInt(found.timestamp);
                  out.leaderEpoch = p.epochs.epochForOffset(found.offset);
                }
              }
            } catch (err) {
              out.errorCode = toErrorCode(err);
              if (!(err instanceof KafkaError)) ctx.broker.log.error({ err, topic: t.name }, 'list offsets failed');
            }
            return out;
          }),
        ),
      })),
    );
    return { topics };
  },
});
