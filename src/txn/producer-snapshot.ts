/**
 * Producer state snapshots beside a partition's log, in Kafka's format:
 * `<20-digit offset>.snapshot` holding int16 version 1, a CRC-32C of what
 * follows it, and one entry per producer (its last batch). The offset in the
 * name is the log end offset the state covers.
 *
 * Loading takes the newest snapshot at or below the log end, then replays
 * the batch headers after it (producer id, epoch and sequences are in the
 * header, so records are not decoded); snapshots past the log end (a torn
 * tail was truncated) are deleted. Snapshots are written on clean close and
 * periodically, and only the newest two are kept.
 */
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { PartitionLog } from '../log/partition-log.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { crc32c } from '../protocol/crc32c.js';
import { decodeProducerSnapshot, encodeProducerSnapshot } from '../protocol/generated/storage/producer-snapshot.js';
import { Attr, batchPositions } from '../protocol/record-batch.js';
import { lastSequence, ProducerStateManager } from './producer-state.js';

const SNAPSHOT_VERSION = 1;
const SUFFIX = '.snapshot';
const CRC_POS = 2;
const KEEP = 2;

function fileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SUFFIX}`;
}

async function snapshotOffsets(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith(SUFFIX) && /^\d{20}$/.test(n.slice(0, 20)))
    .map((n) => Number(n.slice(0, 20)))
    .sort((a, b) => a - b);
}

export function encodeSnapshot(state: ProducerStateManager): Buffer {
  const w = new Writer(64 + state.producers.size * 48);
  w.int16(SNAPSHOT_VERSION);
  encodeProducerSnapshot(w, SNAPSHOT_VERSION, {
    crc: 0,
    producerEntries: [...state.producers.values()]
      .filter((e) => e.batches.length > 0)
      .map((e) => {
        const last = e.batches[e.batches.length - 1];
        return {
          producerId: e.producerId,
          epoch: e.epoch,
          lastSequence: last.lastSeq,
          lastOffset: BigInt(last.lastOffset),
          offsetDelta: last.lastOffset - last.firstOffset,
          timestamp: BigInt(e.lastTimestamp),
          coordinatorEpoch: e.coordinatorEpoch,
          currentTxnFirstOffset: BigInt(e.currentTxnFirstOffset),
        };
      }),
  });
  const buf = w.toBuffer();
  buf.writeUInt32BE(crc32c(buf, CRC_POS + 4), CRC_POS);
  return buf;
}

export function decodeSnapshot(buf: Buffer): ProducerStateManager {
  const r = new Reader(buf);
  const version = r.int16();
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown producer snapshot version ${version}`);
  const snap = decodeProducerSnapshot(r, version);
  if (snap.crc !== crc32c(buf, CRC_POS + 4)) throw new Error('producer snapshot CRC mismatch');
  const state = new ProducerStateManager();
  for (const e of snap.producerEntries) {
    const lastOffset = Number(e.lastOffset);
    const firstSeq = Math.max(0, e.lastSequence - e.offsetDelta);
    state.record(e.producerId, e.epoch, { firstSeq, lastSeq: e.lastSequence, firstOffset: lastOffset - e.offsetDelta, lastOffset, timestamp: Number(e.timestamp) }, false);
    const entry = state.producers.get(e.producerId)!;
    entry.coordinatorEpoch = e.coordinatorEpoch;
    entry.currentTxnFirstOffset = Number(e.currentTxnFirstOffset);
  }
  return state;
}

/** Writes the snapshot for the log's current end (atomically) and prunes old ones. */
export async function saveProducerSnapshot(log: PartitionLog, state: ProducerStateManager): Promise<void> {
  const dir = log.dir;
  const offset = log.logEndOffset;
  const path = join(dir, fileName(offset));
  await writeFile(`${path}.tmp`, encodeSnapshot(state));
  await rename(`${path}.tmp`, path);
  const offsets = await snapshotOffsets(dir);
  for (const o of offsets.slice(0, Math.max(0, offsets.length - KEEP))) await unlink(join(dir, fileName(o))).catch(() => undefined);
}

/** Rebuilds a partition's producer state: newest usable snapshot, then the batches after it. */
export async function loadProducerState(log: PartitionLog, logger: Logger): Promise<ProducerStateManager> {
  const dir = log.dir;
  const end = log.logEndOffset;
  let state = new ProducerStateManager();
  let from = log.logStartOffset;
  for (const o of (await snapshotOffsets(dir)).reverse()) {
    if (o > end) {
      await unlink(join(dir, fileName(o))).catch(() => undefined);
      continue;
    }
    try {
      state = decodeSnapshot(await readFile(join(dir, fileName(o))));
      from = Math.max(o, log.logStartOffset);
      break;
    } catch (err) {
      logger.warn({ dir, offset: o, err: (err as Error).message }, 'ignoring an unreadable producer snapshot');
    }
  }
  let batches = 0;
  while (from < end) {
    const { records } = await log.read(from, 1 << 20, { minOneBatch: true });
    if (records.length === 0) break;
    let next = from;
    for (const [pos] of batchPositions(records)) {
      const base = Number(records.readBigInt64BE(pos));
      const delta = records.readInt32BE(pos + 23);
      next = base + delta + 1;
      const producerId = records.readBigInt64BE(pos + 43);
      const attrs = records.readInt16BE(pos + 21);
      if (producerId < 0n || base + delta < from || attrs & Attr.Control) continue;
      const firstSeq = records.readInt32BE(pos + 53);
      state.record(
        producerId,
        records.readInt16BE(pos + 51),
        { firstSeq, lastSeq: lastSequence(firstSeq, delta), firstOffset: base, lastOffset: base + delta, timestamp: Number(records.readBigInt64BE(pos + 35)) },
        (attrs & Attr.Transactional) !== 0,
      );
      batches++;
    }
    if (next <= from) break;
    from = next;
  }
  if (batches > 0) logger.info({ dir, batches, producers: state.producers.size }, 'rebuilt producer state from the log');
  return state;
}
