/**
 * Rebuilds a partition's transactional state when its log opens: the
 * producer state (idempotence, open transactions) and the aborted-
 * transaction index.
 *
 *   1. the newest producer snapshot at or below the log end covers the log
 *      up to its offset S (newer ones, past a truncated tail, are deleted);
 *   2. the index file's entries whose marker is below S are kept;
 *   3. the batches from S to the log end are replayed from their headers:
 *      data batches update producers and open transactions, commit/abort
 *      markers close them and abort markers add index entries.
 *
 * Without a usable snapshot, or without the index file, everything is
 * rebuilt from the log start. Only control batches are decoded (one small
 * record each).
 */
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PartitionLog } from '../log/partition-log.js';
import { ControlRecordType, decodeEndTxnMarker } from '../protocol/control-records.js';
import { Attr, batchPositions } from '../protocol/record-batch.js';
import { decodeBatchSync } from '../protocol/records.js';
import { AbortedTxnIndex, type AbortedTxn } from './aborted-txn-index.js';
import { decodeSnapshot, snapshotFileName, snapshotOffsets } from './producer-snapshot.js';
import { lastSequence, ProducerStateManager } from './producer-state.js';

const SCAN_BYTES = 1 << 20;

export interface PartitionTxnState {
  readonly producers: ProducerStateManager;
  readonly aborted: AbortedTxnIndex;
}

/** Applies one batch (at pos of buf) to the producer state; returns an aborted transaction it closed. */
export function replayBatchHeader(state: ProducerStateManager, buf: Buffer, pos: number, size: number): AbortedTxn | null {
  const base = Number(buf.readBigInt64BE(pos));
  const delta = buf.readInt32BE(pos + 23);
  const producerId = buf.readBigInt64BE(pos + 43);
  const attrs = buf.readInt16BE(pos + 21);
  if (producerId < 0n) return null;
  const epoch = buf.readInt16BE(pos + 51);
  const timestamp = Number(buf.readBigInt64BE(pos + 35));
  if (attrs & Attr.Control) {
    const batch = decodeBatchSync(buf.subarray(pos, pos + size));
    const record = batch.records[0];
    const type = record?.control?.type;
    if (!record || (type !== ControlRecordType.Commit && type !== ControlRecordType.Abort)) return null;
    const marker = decodeEndTxnMarker(record.value);
    const done = state.applyMarker({ producerId, producerEpoch: epoch, coordinatorEpoch: marker.coordinatorEpoch, commit: type === ControlRecordType.Commit, offset: base, timestamp });
    if (!done?.aborted) return null;
    return { producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: state.firstUnstableOffset() ?? done.lastOffset + 1 };
  }
  const firstSeq = buf.readInt32BE(pos + 53);
  const transactional = (attrs & Attr.Transactional) !== 0;
  if (firstSeq < 0) state.recordCoordinatorWrite(producerId, epoch, base, timestamp, transactional);
  else state.record(producerId, epoch, { firstSeq, lastSeq: lastSequence(firstSeq, delta), firstOffset: base, lastOffset: base + delta, timestamp }, transactional);
  return null;
}

async function newestSnapshot(log: PartitionLog, logger: Logger): Promise<{ state: ProducerStateManager; offset: number } | null> {
  const dir = log.dir;
  for (const o of (await snapshotOffsets(dir)).reverse()) {
    if (o > log.logEndOffset) {
      await unlink(join(dir, snapshotFileName(o))).catch(() => undefined);
      continue;
    }
    try {
      return { state: decodeSnapshot(await readFile(join(dir, snapshotFileName(o)))), offset: Math.max(o, log.logStartOffset) };
    } catch (err) {
      logger.warn({ dir, offset: o, err: (err as Error).message }, 'ignoring an unreadable producer snapshot');
    }
  }
  return null;
}

export async function loadTxnState(log: PartitionLog, logger: Logger): Promise<PartitionTxnState> {
  const dir = log.dir;
  const end = log.logEndOffset;
  const saved = await AbortedTxnIndex.read(dir);
  const snap = saved === null ? null : await newestSnapshot(log, logger);
  const state = snap?.state ?? new ProducerStateManager();
  let from = snap?.offset ?? log.logStartOffset;
  const entries = (saved ?? []).filter((t) => t.lastOffset < from && t.lastOffset >= log.logStartOffset);
  const rebuilt = saved === null || entries.length !== saved.length;
  let batches = 0;
  while (from < end) {
    const { records } = await log.read(from, SCAN_BYTES, { minOneBatch: true });
    if (records.length === 0) break;
    let next = from;
    for (const [pos, size] of batchPositions(records)) {
      const last = Number(records.readBigInt64BE(pos)) + records.readInt32BE(pos + 23);
      next = last + 1;
      if (last < from) continue;
      const aborted = replayBatchHeader(state, records, pos, size);
      if (aborted) entries.push(aborted);
      batches++;
    }
    if (next <= from) break;
    from = next;
  }
  const aborted = new AbortedTxnIndex(dir, entries);
  if (rebuilt || entries.length > (saved?.length ?? 0)) await aborted.rewrite();
  if (batches > 0) logger.info({ dir, batches, producers: state.producers.size, abortedTxns: entries.length }, 'rebuilt producer state from the log');
  return { producers: state, aborted };
}
