/**
 * Crash-recovery fuzzing: build a log, damage it the ways a crash or a bad
 * disk would (cut the file anywhere, flip a checksummed byte, append
 * garbage), reopen without the clean-shutdown marker, and check the log is
 * exactly the batches before the damage and keeps accepting appends.
 */
import { appendFile, open, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { checkBatch } from '../../../src/protocol/record-batch.js';
import { batchesIn, makeBatch, tempDir } from './helpers.js';

type Damage =
  | { kind: 'cut'; at: number }
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'garbage'; bytes: number[] };

const damageArb: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), xor: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 200 }) }),
);

describe('recovery fuzz', () => {
  it('recovers exactly the batches before the damage', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 300 })), { minLength: 1, maxLength: 25 }),
        damageArb,
        fc.boolean(),
        async (spec, damage, wholeLog) => {
          const { dir, cleanup } = await tempDir();
          const config = resolveLogConfig({ segmentBytes: 1500, indexIntervalBytes: 100 });
          try {
            const log = await PartitionLog.open(dir, config);
            const written: Array<{ base: number; last: number; seg: number; pos: number; size: number }> = [];
            for (const [records, payload] of spec) {
              const res = await log.append(makeBatch({ records, payloadBytes: payload, maxTimestamp: written.length }));
              const seg = log.segmentBaseOffsets().at(-1) as number;
              written.push({ base: res.baseOffset, last: res.lastOffset, seg, pos: -1, size: 61 + payload });
            }
            // Positions inside each segment file.
            const bySeg = new Map<number, number>();
            for (const w of written) {
              w.pos = bySeg.get(w.seg) ?? 0;
              bySeg.set(w.seg, w.pos + w.size);
            }
            const segs = log.segmentBaseOffsets();
            await log.close();
            await rm(join(dir, '.kafka_cleanshutdown'));
            // Damage the last segment, or (with the recovery point rewound) any segment.
            const target = wholeLog ? (segs[Math.floor((damage.kind === 'garbage' ? 1 : damage.at) * segs.length) % segs.length] as number) : (segs.at(-1) as number);
            if (wholeLog) await writeFile(join(dir, 'partition.checkpoint'), '0\n0\n0\n');
            const file = join(dir, `${String(target).padStart(20, '0')}.log`);
            const size = (await stat(file)).size;
            let survivors = written;
            if (damage.kind === 'cut') {
              const at = Math.floor(damage.at * size);
              await truncate(file, at);
              // A cut through a batch is a torn batch: everything after it goes.
              // A cut exactly between batches leaves nothing to detect (recovery
              // is by batch validity; gaps between segments can be legitimate).
              const torn = written.some((w) => w.seg === target && w.pos < at && at < w.pos + w.size);
              survivors = written.filter(
                (w) => w.seg < target || (w.seg === target && w.pos + w.size <= at) || (!torn && w.seg > target),
              );
            } else if (damage.kind === 'flip' && size > 0) {
              // Only bytes the CRC or framing protects (baseOffset and leader epoch are not covered, as in Kafka).
              const inSeg = written.filter((w) => w.seg === target);
              const victim = inSeg[Math.floor(damage.at * inSeg.length) % inSeg.length];
              if (victim !== undefined) {
                const at = victim.pos + 16 + Math.floor(damage.at * (victim.size - 16)) % (victim.size - 16);
                const fh = await open(file, 'r+');
                const b = Buffer.alloc(1);
                await fh.read(b, 0, 1, at);
                b[0] = (b[0] as number) ^ damage.xor;
                await fh.write(b, 0, 1, at);
                await fh.close();
                survivors = written.filter((w) => w.seg < target || (w.seg === target && w.pos < victim.pos));
              }
            } else if (damage.kind === 'garbage') {
              await appendFile(file, Buffer.from(damage.bytes));
              // Garbage in an older segment: its batches stay, later segments go.
              survivors = written.filter((w) => w.seg <= target);
            }
            const again = await PartitionLog.open(dir, config);
            try {
              // The end: after the last surviving batch, or the base of a last segment left empty.
              const lastSeg = Math.max(...segs.filter((b) => survivors.some((w) => w.seg === b) || b <= target));
              const inLast = survivors.filter((w) => w.seg === lastSeg);
              const expectedEnd = inLast.length > 0 ? (inLast.at(-1)?.last as number) + 1 : lastSeg;
              const seen: Array<[number, number]> = [];
              let offset = again.logStartOffset;
              for (;;) {
                const { records } = await again.read(offset, 1 << 16);
                const got = batchesIn(records);
                if (got.length === 0) break;
                let pos = 0;
                for (const g of got) {
                  expect(checkBatch(records, pos)).toBeNull();
                  pos += g.size;
                  seen.push([g.baseOffset, g.lastOffset]);
                }
                offset = (got.at(-1)?.lastOffset as number) + 1;
              }
              expect(seen).toEqual(survivors.map((w) => [w.base, w.last]));
              // The end is the last surviving batch, or the base of an emptied segment.
              expect(again.logEndOffset).toBe(expectedEnd);
              const next = await again.append(makeBatch({ records: 2 }));
              expect(next.baseOffset).toBe(again.logEndOffset - 2);
            } finally {
              await again.close();
            }
          } finally {
            await cleanup();
          }
        },
      ),
      { numRuns: Number(process.env.LOG_FUZZ_RUNS ?? 60) },
    );
  });
});
