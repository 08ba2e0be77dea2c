/** Test helpers: hand-built v2 batches (header + filler payload + CRC) and temp dirs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH_HEADER_SIZE, writeCrc } from '../../../src/protocol/record-batch.js';

export interface BatchSpec {
  /** Records in the batch (lastOffsetDelta = records - 1). */
  readonly records?: number;
  readonly baseTimestamp?: number;
  readonly maxTimestamp?: number;
  /** Bytes after the 61-byte header (stand-in for records). */
  readonly payloadBytes?: number;
  readonly fill?: number;
  readonly baseOffset?: number;
}

export function makeBatch(spec: BatchSpec = {}): Buffer {
  const records = spec.records ?? 1;
  const payload = spec.payloadBytes ?? 40;
  const buf = Buffer.alloc(BATCH_HEADER_SIZE + payload, spec.fill ?? 0xab);
  buf.writeBigInt64BE(BigInt(spec.baseOffset ?? 0), 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(0, 12); // partitionLeaderEpoch
  buf.writeInt8(2, 16); // magic
  buf.writeInt16BE(0, 21); // attributes
  buf.writeInt32BE(records - 1, 23);
  const ts = spec.maxTimestamp ?? 1_000;
  buf.writeBigInt64BE(BigInt(spec.baseTimestamp ?? ts), 27);
  buf.writeBigInt64BE(BigInt(ts), 35);
  buf.writeBigInt64BE(-1n, 43); // producerId
  buf.writeInt16BE(-1, 51);
  buf.writeInt32BE(-1, 53);
  buf.writeInt32BE(records, 57);
  writeCrc(buf, 0);
  return buf;
}

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'krill-log-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Splits a buffer of consecutive batches into [baseOffset, lastOffset, size] triples. */
export function batchesIn(buf: Buffer): Array<{ baseOffset: number; lastOffset: number; size: number; maxTimestamp: number }> {
  const out: Array<{ baseOffset: number; lastOffset: number; size: number; maxTimestamp: number }> = [];
  let pos = 0;
  while (pos < buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    const baseOffset = Number(buf.readBigInt64BE(pos));
    out.push({ baseOffset, lastOffset: baseOffset + buf.readInt32BE(pos + 23), size, maxTimestamp: Number(buf.readBigInt64BE(pos + 35)) });
    pos += size;
  }
  if (pos !== buf.length) throw new Error('partial batch in read result');
  return out;
}
