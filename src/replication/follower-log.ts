/**
 * The follower side of a replica's log: appending batches fetched from the
 * leader with the leader's offsets (Kafka's appendRecordsToFollowerOrFutureReplica),
 * truncating a divergent tail, and following the leader's log start.
 *
 * An append decides synchronously (epoch cache, producer state and
 * aborted-transaction index learn the batches, the log takes them at the
 * leader's offsets), then waits for the write. Truncation reloads the
 * producer state from the truncated log, as Kafka does, because a cut can
 * reopen transactions whose markers were dropped; it runs on the
 * partition's serial queue.
 */
import type { Logger } from 'pino';
import { loadTxnState, replayBatchHeader } from '../txn/txn-state-loader.js';
import { batchLeaderEpoch } from './epoch-store.js';
import type { Partition } from './partition.js';

/** The fetched data overlaps this log's end inside a batch: the follower must truncate first. */
export class UnexpectedAppendOffsetError extends Error {
  constructor(
    readonly firstOffset: number,
    readonly logEndOffset: number,
  ) {
    super(`fetched batch starts at ${firstOffset}, inside the log end ${logEndOffset}`);
    this.name = 'UnexpectedAppendOffsetError';
  }
}

/**
 * Appends fetched batches. Batches wholly below the log end are skipped;
 * a trailing partial batch (cut by the fetch size) is left for the next
 * fetch. Resolves with the number of batches appended, after the write
 * (and an fsync when `fsync`).
 */
export async function appendAsFollower(p: Partition, records: Buffer, fsync: boolean): Promise<number> {
  const leo = p.log.logEndOffset;
  let start = -1;
  let end = 0;
  let count = 0;
  let epochsChanged = false;
  for (const [pos, size] of wholeBatches(records)) {
    const base = Number(records.readBigInt64BE(pos));
    const last = base + records.readInt32BE(pos + 23);
    if (last < leo) continue;
    if (base < leo) throw new UnexpectedAppendOffsetError(base, leo);
    if (start < 0) start = pos;
    end = pos + size;
    count++;
    if (p.epochs.assign(batchLeaderEpoch(records, pos), base)) epochsChanged = true;
    const aborted = replayBatchHeader(p.producers, records, pos, size);
    if (aborted) p.abortedTxns.add(aborted);
  }
  if (count === 0) return 0;
  if (epochsChanged) void p.persistEpochs();
  p.producersDirty = true;
  await p.log.append(records.subarray(start, end), { keepOffsets: true });
  if (fsync) await p.log.flush();
  return count;
}

/** [position, size] of the complete batches in buf. */
function* wholeBatches(buf: Buffer): Generator<[number, number]> {
  let pos = 0;
  while (buf.length - pos >= 61) {
    const size = 12 + buf.readInt32BE(pos + 8);
    if (size < 61 || pos + size > buf.length) return;
    yield [pos, size];
    pos += size;
  }
}

/** Drops every offset >= offset and rebuilds what was learned from them. Run on the partition's queue. */
export async function truncateFollower(p: Partition, offset: number, logger: Logger): Promise<void> {
  if (offset >= p.log.logEndOffset) return;
  logger.info({ topic: p.topic, partition: p.index, from: p.log.logEndOffset, to: offset }, 'truncating a divergent follower log');
  await p.abortedTxns.close();
  if (p.epochs.truncateFromEnd(offset)) await p.persistEpochs();
  p.lowerHighWatermarkTo(offset);
  await p.log.truncateTo(offset);
  await reloadTxnState(p, logger);
}

/** Empties the log and restarts it at offset (the leader's log start is past this log's end). */
export async function restartFollowerAt(p: Partition, offset: number, logger: Logger): Promise<void> {
  logger.info({ topic: p.topic, partition: p.index, logEndOffset: p.log.logEndOffset, offset }, 'follower log is behind the leader\'s log start; restarting it there');
  await p.abortedTxns.close();
  p.epochs.truncateFromEnd(0);
  await p.persistEpochs();
  await p.log.truncateFullyAndStartAt(offset);
  p.lowerHighWatermarkTo(offset);
  p.updateFollowerHighWatermark(offset);
  await reloadTxnState(p, logger);
}

/** Moves the log start up to the leader's (DeleteRecords or retention on the leader). */
export async function followLogStart(p: Partition, leaderLogStart: number): Promise<void> {
  const target = Math.min(leaderLogStart, p.log.logEndOffset);
  if (target <= p.log.logStartOffset) return;
  await p.log.deleteRecordsBefore(target, 'leader-log-start');
  if (p.epochs.truncateFromStart(target)) void p.persistEpochs();
}

async function reloadTxnState(p: Partition, logger: Logger): Promise<void> {
  const txn = await loadTxnState(p.log, logger);
  p.producers = txn.producers;
  p.abortedTxns = txn.aborted;
  p.producersDirty = true;
}
