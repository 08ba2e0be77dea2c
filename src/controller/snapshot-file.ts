/**
 * Metadata snapshots in KRaft's checkpoint format: a file named
 * `<endOffset:20 digits>-<epoch:10 digits>.checkpoint` in the metadata log
 * directory, holding record batches: a control batch with a
 * SnapshotHeaderRecord first, then the metadata records that rebuild the
 * image, then a control batch with a SnapshotFooterRecord. The snapshot
 * covers every offset below endOffset, and `epoch` is the epoch of the
 * record at endOffset - 1. Batch offsets inside the file start at 0.
 *
 * A file without both header and footer is incomplete (a crash during a
 * write that was not atomic, or a truncated transfer) and is never used.
 */
import { Writer } from '../protocol/primitives/index.js';
import { buildBatchSync, decodeBatchSync } from '../protocol/records.js';
import { Attr, batchPositions, checkBatch } from '../protocol/record-batch.js';
import { ControlRecordType, encodeControlKey } from '../protocol/control-records.js';
import { encodeSnapshotHeaderRecord } from '../protocol/generated/snapshot-header-record.js';
import { encodeSnapshotFooterRecord } from '../protocol/generated/snapshot-footer-record.js';

export const SNAPSHOT_SUFFIX = '.checkpoint';
export const PARTIAL_SUFFIX = '.part';
const RECORDS_PER_BATCH = 2000;

export interface SnapshotId {
  /** Offsets below this are covered (the Raft snapshot index). */
  readonly endOffset: number;
  /** Epoch of the last covered record (the Raft snapshot term). */
  readonly epoch: number;
}

export function snapshotFileName(id: SnapshotId): string {
  return `${String(id.endOffset).padStart(20, '0')}-${String(id.epoch).padStart(10, '0')}${SNAPSHOT_SUFFIX}`;
}

export function parseSnapshotFileName(name: string): SnapshotId | null {
  const m = /^(\d{20})-(\d{10})\.checkpoint$/.exec(name);
  if (!m) return null;
  const endOffset = Number(m[1]);
  const epoch = Number(m[2]);
  return Number.isSafeInteger(endOffset) && Number.isSafeInteger(epoch) ? { endOffset, epoch } : null;
}

function controlBatch(type: ControlRecordType, value: Buffer, baseOffset: number, epoch: number, timestampMs: number): Buffer {
  return buildBatchSync({ baseOffset, partitionLeaderEpoch: epoch, control: true, defaultTimestamp: timestampMs, records: [{ key: encodeControlKey(type), value }] });
}

/** The checkpoint bytes for a snapshot holding `values` (framed metadata records). */
export function encodeSnapshot(values: readonly Buffer[], epoch: number, timestampMs: number): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const header = new Writer(16);
  encodeSnapshotHeaderRecord(header, 0, { version: 0, lastContainedLogTimestamp: BigInt(timestampMs) });
  parts.push(controlBatch(ControlRecordType.SnapshotHeader, header.toBuffer(), offset++, epoch, timestampMs));
  for (let i = 0; i < values.length; i += RECORDS_PER_BATCH) {
    const chunk = values.slice(i, i + RECORDS_PER_BATCH);
    parts.push(buildBatchSync({ baseOffset: offset, partitionLeaderEpoch: epoch, defaultTimestamp: timestampMs, records: chunk.map((value) => ({ key: null, value })) }));
    offset += chunk.length;
  }
  const footer = new Writer(8);
  encodeSnapshotFooterRecord(footer, 0, { version: 0 });
  parts.push(controlBatch(ControlRecordType.SnapshotFooter, footer.toBuffer(), offset, epoch, timestampMs));
  return Buffer.concat(parts);
}

export class SnapshotFormatError extends Error {
  readonly code = 'KRILL_SNAPSHOT_FORMAT';
}

/** The metadata record values of a checkpoint; throws SnapshotFormatError unless it is whole and sound. */
export function decodeSnapshot(bytes: Buffer): Buffer[] {
  const values: Buffer[] = [];
  let sawHeader = false;
  let sawFooter = false;
  let consumed = 0;
  for (const [pos, size] of batchPositions(bytes)) {
    const problem = checkBatch(bytes, pos, pos + size);
    if (problem !== null) throw new SnapshotFormatError(`snapshot batch at byte ${pos} is ${problem}`);
    if (sawFooter) throw new SnapshotFormatError('records after the snapshot footer');
    const batch = decodeBatchSync(bytes.subarray(pos, pos + size));
    const control = (batch.header.attributes & Attr.Control) !== 0;
    for (const r of batch.records) {
      if (control) {
        if (r.control?.type === ControlRecordType.SnapshotHeader) {
          if (sawHeader || values.length > 0) throw new SnapshotFormatError('snapshot header is not first');
          sawHeader = true;
        } else if (r.control?.type === ControlRecordType.SnapshotFooter) {
          sawFooter = true;
        }
      } else {
        if (!sawHeader) throw new SnapshotFormatError('snapshot records before the header');
        if (r.value) values.push(r.value);
      }
    }
    consumed = pos + size;
  }
  if (!sawHeader || !sawFooter || consumed !== bytes.length) throw new SnapshotFormatError('snapshot is incomplete (no header, no footer or trailing bytes)');
  return values;
}

/** Whether bytes are a complete checkpoint. */
export function isCompleteSnapshot(bytes: Buffer): boolean {
  try {
    decodeSnapshot(bytes);
    return true;
  } catch {
    return false;
  }
}

