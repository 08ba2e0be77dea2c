/**
 * Loading and persisting a replica's leader epoch cache beside its log, as
 * `leader-epoch-checkpoint` (Kafka's file name and text format).
 *
 * The checkpoint is written after the cache changes, not before the
 * batches that carry the new epoch, so after a crash it can lag the log.
 * Opening therefore checks the last batch: when it carries an epoch newer
 * than the cache's latest, the tail from the latest cached epoch's start is
 * scanned (batch headers only) and the missing epochs are added. Entries
 * outside [log start, log end) are dropped.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PartitionLog } from '../log/partition-log.js';
import { batchPositions } from '../protocol/record-batch.js';
import { CheckpointWriter, readTextIfExists } from './checkpoint-file.js';
import { formatEpochCheckpoint, LeaderEpochCache, parseEpochCheckpoint } from './leader-epoch-cache.js';

export const LEADER_EPOCH_CHECKPOINT = 'leader-epoch-checkpoint';
const SCAN_BYTES = 1 << 20;

/** The partition leader epoch field of the batch at pos. */
export function batchLeaderEpoch(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos + 12);
}

export async function loadEpochCache(log: PartitionLog, logger: Logger): Promise<LeaderEpochCache> {
  const path = join(log.dir, LEADER_EPOCH_CHECKPOINT);
  let cache: LeaderEpochCache;
  try {
    const text = await readTextIfExists(path);
    cache = new LeaderEpochCache(text === null ? [] : parseEpochCheckpoint(text));
  } catch (err) {
    logger.warn({ dir: log.dir, err: (err as Error).message }, 'ignoring an unreadable leader-epoch-checkpoint; rebuilding it from the log');
    cache = new LeaderEpochCache();
  }
  cache.truncateFromEnd(log.logEndOffset);
  cache.truncateFromStart(log.logStartOffset);
  if (log.logEndOffset <= log.logStartOffset) return cache;
  const last = await log.read(log.logEndOffset - 1, 1, { minOneBatch: true });
  let lastEpoch = -1;
  for (const [pos] of batchPositions(last.records)) lastEpoch = batchLeaderEpoch(last.records, pos);
  if (lastEpoch > cache.latestEpoch) {
    const from = cache.entries.at(-1)?.startOffset ?? log.logStartOffset;
    const added = await scanEpochs(log, cache, from);
    logger.info({ dir: log.dir, from, added }, 'leader epoch cache rebuilt from the log tail');
  }
  return cache;
}

/** Adds the epochs of the batches from `from` to the log end. */
async function scanEpochs(log: PartitionLog, cache: LeaderEpochCache, from: number): Promise<number> {
  let offset = from;
  let added = 0;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, SCAN_BYTES, { minOneBatch: true });
    if (records.length === 0) break;
    let next = offset;
    for (const [pos] of batchPositions(records)) {
      const base = Number(records.readBigInt64BE(pos));
      next = base + records.readInt32BE(pos + 23) + 1;
      if (cache.assign(batchLeaderEpoch(records, pos), Math.max(base, log.logStartOffset))) added++;
    }
    if (next <= offset) break;
    offset = next;
  }
  return added;
}

export function epochCacheWriter(log: PartitionLog, cache: LeaderEpochCache): CheckpointWriter {
  return new CheckpointWriter(join(log.dir, LEADER_EPOCH_CHECKPOINT), () => formatEpochCheckpoint(cache.entries));
}
