/**
 * Compaction against real files: convergence to the newest record per key
 * with offsets kept, codecs and producer fields kept, tombstones and
 * min.compaction.lag.ms, refusal when the log changes underneath, and
 * appends and reads running alongside a cleaning.
 */
import { readdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cleanLog, type CleanOptions } from '../../../src/log/cleaner.js';
import { type LogConfig, resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { ControlRecordType, encodeControlKey, encodeEndTxnMarker } from '../../../src/protocol/control-records.js';
import { CompressionType } from '../../../src/protocol/record-batch.js';
import { buildBatchSync } from '../../../src/protocol/records.js';
import { tempDir } from './helpers.js';
import { type KV, keyedBatch, latestPerKey, readBatches, type ReadRecord, readRecords } from './keyed.js';

let dir: string;
let cleanup: () => Promise<void>;
const opened: PartitionLog[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  for (const log of opened.splice(0)) await log.close().catch(() => undefined);
  await cleanup();
});

const YEAR_MS = 365 * 24 * 3600 * 1000;
const compact: LogConfig = resolveLogConfig({
  segmentBytes: 800,
  indexIntervalBytes: 100,
  cleanupPolicy: { delete: false, compact: true },
  minCleanableDirtyRatio: 0,
  deleteRetentionMs: YEAR_MS,
});

async function openLog(config: LogConfig = compact): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, config);
  opened.push(log);
  return log;
}

function opts(log: PartitionLog, over: Partial<CleanOptions> = {}): CleanOptions {
  return { nowMs: 2000, highWatermark: log.logEndOffset, checkpoint: null, maxMapEntries: 10_000, ...over };
}

/** What a cleaning up to `cut` leaves of `all`. */
function expectedAfter(all: readonly ReadRecord[], cut: number, dropTombstones = false): ReadRecord[] {
  const newest = new Map<string | null, number>();
  for (const r of all) if (r.offset < cut) newest.set(r.key, r.offset);
  return all.filter((r) => r.offset >= cut || (r.key !== null && newest.get(r.key) === r.offset && !(dropTombstones && r.value === null)));
}

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

/** Random keyed appends (1-4 records, 12 keys, some codec each); returns codec by base offset. */
async function fillKeyed(log: PartitionLog, batches: number, seed: number, tombstoneEvery = 0): Promise<Map<number, number>> {
  const codecs = new Map<number, number>();
  let x = seed;
  const rnd = (n: number): number => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x % n;
  };
  for (let i = 0; i < batches; i++) {
    const records: KV[] = Array.from({ length: 1 + rnd(4) }, (_, j) => {
      const key = `k${rnd(12)}`;
      const tomb = tombstoneEvery > 0 && (i * 4 + j) % tombstoneEvery === 0;
      return { key, value: tomb ? null : `v${i}.${j}-${'x'.repeat(rnd(30))}`, timestamp: 1000 + i };
    });
    const codec = CODECS[rnd(CODECS.length)] as CompressionType;
    const res = await log.append(keyedBatch(records, { compression: codec }));
    codecs.set(res.baseOffset, codec);
  }
  return codecs;
}

describe('cleanLog', () => {
  it('keeps the newest record per key at its offset, codecs kept, the active segment untouched', async () => {
    const log = await openLog();
    const codecs = await fillKeyed(log, 120, 7);
    const before = await readRecords(log);
    const segsBefore = log.segmentBaseOffsets();
    const active = segsBefore.at(-1) as number;
    const outcome = await cleanLog(log, opts(log));
    expect(outcome.kind).toBe('cleaned');
    if (outcome.kind !== 'cleaned') return;
    expect(outcome.stats.endOffset).toBe(active);
    const after = await readRecords(log);
    expect(after).toEqual(expectedAfter(before, active));
    expect(after.length).toBeLessThan(before.length);
    expect(log.segmentBaseOffsets().at(-1)).toBe(active);
    for (const b of await readBatches(log)) expect(b.attributes & 7).toBe(codecs.get(b.baseOffset));
    // Cleaning again with the checkpoint finds nothing dirty.
    expect((await cleanLog(log, opts(log, { checkpoint: active }))).kind).toBe('skipped');
    // Reopening reads the same.
    await log.close();
    const again = await openLog();
    expect(await readRecords(again)).toEqual(after);
  });

  it('converges over several rounds, merging small cleaned segments', async () => {
    const log = await openLog();
    const merging = resolveLogConfig({ segmentBytes: 64 * 1024 }, compact);
    let checkpoint: number | null = null;
    for (let round = 0; round < 4; round++) {
      await fillKeyed(log, 60, 100 + round);
      const before = await readRecords(log);
      // From round 1 on, clean with larger segments: cleaned segments merge into fewer.
      if (round > 0) log.updateConfig(merging);
      const outcome = await cleanLog(log, opts(log, { checkpoint }));
      log.updateConfig(compact);
      expect(outcome.kind).toBe('cleaned');
      if (outcome.kind !== 'cleaned') return;
      checkpoint = outcome.stats.endOffset;
      expect(await readRecords(log)).toEqual(expectedAfter(before, checkpoint));
    }
    const cleaned = log.segmentBaseOffsets().filter((b) => b < (checkpoint as number));
    expect(cleaned.length).toBe(1);
    const kept = (await readRecords(log)).filter((r) => r.offset < (checkpoint as number));
    expect(new Set(kept.map((r) => r.key)).size).toBe(kept.length);
    expect(latestPerKey(kept)).toEqual(kept);
  });

  it('keeps the newest tombstone until delete.retention.ms has passed, then drops it', async () => {
    const log = await openLog(resolveLogConfig({ deleteRetentionMs: 5000 }, compact));
    await log.append(keyedBatch([{ key: 'a', value: '1' }, { key: 'b', value: '1' }], { defaultTimestamp: 1000 }));
    await log.append(keyedBatch([{ key: 'a', value: null, timestamp: 1000 }]));
    for (let i = 0; i < 12; i++) await log.append(keyedBatch([{ key: `f${i}`, value: 'x'.repeat(80), timestamp: 1000 }]));
    const early = await cleanLog(log, opts(log, { nowMs: 2000 }));
    expect(early.kind).toBe('cleaned');
    const kept = await readRecords(log);
    expect(kept.find((r) => r.key === 'a')).toMatchObject({ offset: 2, value: null });
    // New dirty data, and delete.retention.ms has passed for the old segments.
    for (let i = 0; i < 12; i++) await log.append(keyedBatch([{ key: `f${i}`, value: 'y'.repeat(80), timestamp: 9000 }]));
    const cp = early.kind === 'cleaned' ? early.stats.endOffset : null;
    const late = await cleanLog(log, opts(log, { nowMs: 10_000, checkpoint: cp }));
    expect(late.kind).toBe('cleaned');
    const after = await readRecords(log);
    expect(after.find((r) => r.key === 'a')).toBeUndefined();
    expect(after.find((r) => r.key === 'b')).toMatchObject({ offset: 1, value: '1' });
  });

  it('a forced pass drops tombstones past delete.retention.ms without new dirty data', async () => {
    const log = await openLog(resolveLogConfig({ deleteRetentionMs: 5000 }, compact));
    await log.append(keyedBatch([{ key: 'a', value: '1' }, { key: 'a', value: null }, { key: 'b', value: '1' }], { defaultTimestamp: 1000 }));
    for (let i = 0; i < 12; i++) await log.append(keyedBatch([{ key: `f${i}`, value: 'x'.repeat(80), timestamp: 1000 }]));
    const first = await cleanLog(log, opts(log, { nowMs: 2000 }));
    expect(first.kind === 'cleaned' && first.stats.tombstoneHorizonMs).toBeGreaterThan(6000);
    const cp = first.kind === 'cleaned' ? first.stats.endOffset : null;
    expect((await cleanLog(log, opts(log, { nowMs: 7000, checkpoint: cp }))).kind).toBe('skipped');
    const forced = await cleanLog(log, opts(log, { nowMs: 7000, checkpoint: cp, force: true }));
    expect(forced.kind === 'cleaned' && forced.stats.tombstoneHorizonMs).toBeNull();
    expect((await readRecords(log)).filter((r) => r.key === 'a' || r.key === 'b')).toEqual([{ offset: 2, key: 'b', value: '1' }]);
  });

  it('leaves segments younger than min.compaction.lag.ms alone', async () => {
    const log = await openLog(resolveLogConfig({ minCompactionLagMs: 60_000 }, compact));
    await fillKeyed(log, 60, 3);
    expect((await cleanLog(log, opts(log, { nowMs: 2000 }))).kind).toBe('skipped');
    expect((await cleanLog(log, opts(log, { nowMs: 100_000 }))).kind).toBe('cleaned');
  });

  it('only cleans below the high watermark', async () => {
    const log = await openLog();
    await fillKeyed(log, 60, 5);
    const segs = log.segmentBaseOffsets();
    const hw = (segs[1] as number) + 1;
    const outcome = await cleanLog(log, opts(log, { highWatermark: hw }));
    expect(outcome.kind === 'cleaned' && outcome.stats.endOffset).toBe(hw);
  });

  it("keeps a producer's last batch as an empty batch with its sequence fields", async () => {
    const log = await openLog(resolveLogConfig({ segmentBytes: 200 }, compact));
    const pid = { producerId: 7n, producerEpoch: 3 };
    await log.append(keyedBatch([{ key: 'a', value: '1' }, { key: 'b', value: '1' }], { ...pid, baseSequence: 0 }));
    await log.append(keyedBatch([{ key: 'a', value: '2' }, { key: 'b', value: '2' }], { ...pid, baseSequence: 2 }));
    await log.append(keyedBatch([{ key: 'a', value: '3' }, { key: 'b', value: '3' }]));
    await log.append(keyedBatch([{ key: 'c', value: '1' }]));
    await log.append(keyedBatch([{ key: 'c', value: '2' }]));
    expect((await cleanLog(log, opts(log))).kind).toBe('cleaned');
    const batches = (await readBatches(log)).filter((b) => b.baseOffset < 6);
    expect(batches.map((b) => [b.baseOffset, b.lastOffset, b.records.length])).toEqual([
      [2, 3, 0],
      [4, 5, 2],
    ]);
    expect(batches[0]).toMatchObject({ producerId: 7n, producerEpoch: 3, baseSequence: 2 });
  });

  it('rebuilds a partly kept batch with its base offset, last offset delta and producer fields', async () => {
    const log = await openLog(resolveLogConfig({ segmentBytes: 300 }, compact));
    await log.append(keyedBatch([{ key: 'a', value: '1' }, { key: 'b', value: '1' }, { key: 'c', value: '1' }], { producerId: 9n, producerEpoch: 1, baseSequence: 10, compression: CompressionType.Gzip }));
    await log.append(keyedBatch([{ key: 'a', value: '2' }, { key: 'c', value: '2' }]));
    await log.append(keyedBatch([{ key: 'z', value: 'x'.repeat(200) }]));
    expect((await cleanLog(log, opts(log))).kind).toBe('cleaned');
    const first = (await readBatches(log))[0];
    expect(first).toMatchObject({ baseOffset: 0, lastOffset: 2, producerId: 9n, producerEpoch: 1, baseSequence: 10 });
    expect(first?.attributes & 7).toBe(CompressionType.Gzip);
    expect(first?.records).toEqual([{ offset: 1, key: 'b', value: '1' }]);
  });

  it('maps committed transactions, drops aborted ones, keeps undecided ones whole', async () => {
    const log = await openLog(resolveLogConfig({ segmentBytes: 400 }, compact));
    const marker = (producerId: bigint, type: ControlRecordType) =>
      buildBatchSync({ control: true, transactional: true, producerId, producerEpoch: 0, records: [{ key: encodeControlKey(type), value: encodeEndTxnMarker(0) }] });
    const txn = (producerId: bigint, seq: number, records: KV[]) => keyedBatch(records, { transactional: true, producerId, producerEpoch: 0, baseSequence: seq });
    await log.append(keyedBatch([{ key: 'a', value: 'plain' }, { key: 'b', value: 'plain' }, { key: 'c', value: 'plain' }])); // 0-2
    await log.append(txn(1n, 0, [{ key: 'a', value: 'committed' }])); // 3
    await log.append(txn(2n, 0, [{ key: 'b', value: 'aborted' }])); // 4
    await log.append(marker(1n, ControlRecordType.Commit)); // 5
    await log.append(marker(2n, ControlRecordType.Abort)); // 6
    await log.append(txn(3n, 0, [{ key: 'c', value: 'open' }])); // 7, its marker not written yet
    for (let i = 0; i < 4; i++) await log.append(keyedBatch([{ key: `f${i}`, value: 'x'.repeat(150) }]));
    const cut = log.segmentBaseOffsets().at(-1) as number;
    expect(cut).toBeGreaterThan(7);
    expect((await cleanLog(log, opts(log))).kind).toBe('cleaned');
    const batches = (await readBatches(log)).filter((b) => b.baseOffset < 8);
    const show = (b: (typeof batches)[number]) => ((b.attributes & 0x20) !== 0 ? ['marker'] : b.records.map((r) => `${r.key}=${r.value}`));
    // a=plain is hidden by the committed a; the aborted b (offset 4) is gone and does not hide b=plain;
    // the open transaction at 7 is kept and does not hide c=plain; markers stay.
    expect(batches.map((b) => [b.baseOffset, show(b)])).toEqual([
      [0, ['b=plain', 'c=plain']],
      [3, ['a=committed']],
      [5, ['marker']],
      [6, ['marker']],
      [7, ['c=open']],
    ]);
  });

  it('refuses to swap when the log was truncated meanwhile, leaving no files behind', async () => {
    const log = await openLog();
    await fillKeyed(log, 60, 9);
    const before = await readRecords(log);
    const pass = cleanLog(log, opts(log));
    const cut = (log.segmentBaseOffsets()[1] as number) + 1;
    await log.truncateTo(cut);
    expect((await pass).kind).toBe('aborted');
    expect(await readRecords(log)).toEqual(before.filter((r) => r.offset < log.logEndOffset));
    expect((await readdir(dir)).filter((f) => f.includes('.cleaned') || f.endsWith('.swap'))).toEqual([]);
  });

  it('appends and reads run alongside a cleaning', async () => {
    const log = await openLog();
    await fillKeyed(log, 80, 11);
    const before = await readRecords(log);
    const cut = log.segmentBaseOffsets().at(-1) as number;
    let reading = true;
    const reader = (async () => {
      let reads = 0;
      while (reading) {
        for (const r of before.filter((_, i) => i % 17 === 0)) {
          const got = await log.read(r.offset, 300);
          expect(got.records.length).toBeGreaterThan(0);
        }
        reads++;
      }
      return reads;
    })();
    const pass = cleanLog(log, opts(log));
    const appended: number[] = [];
    for (let i = 0; i < 20; i++) appended.push((await log.append(keyedBatch([{ key: `n${i}`, value: 'v' }]))).baseOffset);
    expect((await pass).kind).toBe('cleaned');
    reading = false;
    expect(await reader).toBeGreaterThan(0);
    const after = await readRecords(log);
    expect(after.filter((r) => r.offset < before.length)).toEqual(expectedAfter(before, cut));
    expect(after.filter((r) => r.key?.startsWith('n')).map((r) => r.offset)).toEqual(appended);
  });
});
