/**
 * Producer state snapshots beside a partition's log, in Kafka's format:
 * `<20-digit offset>.snapshot` holding int16 version 1, a CRC-32C of what
 * follows it, and one entry per producer (its last batch; last sequence
 * and last offset -1 for a producer known only from markers or coordinator
 * writes). The offset in the name is the log end offset the state covers.
 *
 * Loading (txn-state-loader.ts) takes the newest snapshot at or below the
 * log end and replays the batch headers after it; snapshots past the log
 * end (a torn tail was truncated) are deleted. Snapshots are written on
 * clean close and periodically, and only the newest two are kept.
 */
import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PartitionLog } from '../log/partition-log.js';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { crc32c } from '../protocol/crc32c.js';
import { decodeProducerSnapshot, encodeProducerSnapshot } from '../protocol/generated/storage/producer-snapshot.js';
import { ProducerStateManager } from './producer-state.js';

const SNAPSHOT_VERSION = 1;
const SUFFIX = '.snapshot';
const CRC_POS = 2;
const KEEP = 2;

export function snapshotFileName(offset: number): string {
  return `${String(offset).padStart(20, '0')}${SUFFIX}`;
}

export async function snapshotOffsets(dir: string): Promise<number[]> {
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
    producerEntries: [...state.producers.values()].map((e) => {
      const last = e.batches[e.batches.length - 1];
      return {
        producerId: e.producerId,
        epoch: e.epoch,
        lastSequence: last ? last.lastSeq : -1,
        lastOffset: BigInt(last ? last.lastOffset : -1),
        offsetDelta: last ? last.lastOffset - last.firstOffset : 0,
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
    const timestamp = Number(e.timestamp);
    const batches =
      lastOffset < 0 || e.lastSequence < 0
        ? []
        : [{ firstSeq: Math.max(0, e.lastSequence - e.offsetDelta), lastSeq: e.lastSequence, firstOffset: lastOffset - e.offsetDelta, lastOffset, timestamp }];
    state.restore({
      producerId: e.producerId,
      epoch: e.epoch,
      batches,
      lastTimestamp: timestamp,
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnFirstOffset: Number(e.currentTxnFirstOffset),
    });
  }
  return state;
}

/** Writes the snapshot for the log's current end (atomically) and prunes old ones. */
export async function saveProducerSnapshot(log: PartitionLog, state: ProducerStateManager, offset = log.logEndOffset): Promise<void> {
  const dir = log.dir;
  const path = join(dir, snapshotFileName(offset));
  await writeFile(`${path}.tmp`, encodeSnapshot(state));
  await rename(`${path}.tmp`, path);
  const offsets = await snapshotOffsets(dir);
  for (const o of offsets.slice(0, Math.max(0, offsets.length - KEEP))) await unlink(join(dir, snapshotFileName(o))).catch(() => undefined);
}
