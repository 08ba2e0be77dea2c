/** Test helpers for compaction: keyed batches and reading a log back as records. */
import { type BuildBatchOptions, buildBatchSync, decodeBatchSync } from '../../../src/protocol/records.js';
import { batchPositions } from '../../../src/protocol/record-batch.js';
import type { PartitionLog } from '../../../src/log/partition-log.js';

export interface KV {
  readonly key: string | null;
  /** null: a tombstone. */
  readonly value: string | null;
  readonly timestamp?: number;
}

export function keyedBatch(records: readonly KV[], opts: Omit<BuildBatchOptions, 'records'> = {}): Buffer {
  return buildBatchSync({
    ...opts,
    records: records.map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp ?? 1000, headers: [{ key: 'h', value: r.key ?? '' }] })),
  });
}

export interface ReadRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: string | null;
}

export interface ReadBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly attributes: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly records: ReadRecord[];
}

/** Every batch from the log start to the end, decoded (CRC checked). */
export async function readBatches(log: PartitionLog): Promise<ReadBatch[]> {
  const out: ReadBatch[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const { records } = await log.read(offset, 1 << 20);
    if (records.length === 0) break;
    for (const [pos, size] of batchPositions(records)) {
      const b = decodeBatchSync(records.subarray(pos, pos + size));
      const h = b.header;
      const baseOffset = Number(h.baseOffset);
      out.push({
        baseOffset,
        lastOffset: baseOffset + h.lastOffsetDelta,
        attributes: h.attributes,
        producerId: h.producerId,
        producerEpoch: h.producerEpoch,
        baseSequence: h.baseSequence,
        records: b.records.map((r) => ({ offset: r.offset, key: r.key?.toString('utf8') ?? null, value: r.value?.toString('utf8') ?? null })),
      });
      offset = baseOffset + h.lastOffsetDelta + 1;
    }
  }
  return out;
}

export async function readRecords(log: PartitionLog): Promise<ReadRecord[]> {
  return (await readBatches(log)).flatMap((b) => b.records);
}

/** The newest record per key of a record list, in offset order (what compaction converges to). */
export function latestPerKey(records: readonly ReadRecord[]): ReadRecord[] {
  const newest = new Map<string | null, ReadRecord>();
  for (const r of records) newest.set(r.key, r);
  return [...newest.values()].sort((a, b) => a.offset - b.offset);
}
