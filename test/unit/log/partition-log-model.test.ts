/**
 * Model-based test: random sequences of appends, truncations, log-start moves,
 * clean reopens and crashes with a torn tail, checked after every step
 * against a plain array of batches.
 */
import { appendFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { batchesIn, makeBatch, tempDir } from './helpers.js';

interface ModelBatch {
  base: number;
  last: number;
  ts: number;
}

type Op =
  | { kind: 'append'; batches: Array<{ records: number; payload: number; ts: number }> }
  | { kind: 'truncate'; pick: number }
  | { kind: 'deleteBefore'; pick: number }
  | { kind: 'reopen' }
  | { kind: 'crash'; garbage: number }
  | { kind: 'read'; pick: number; maxBytes: number }
  | { kind: 'time'; ts: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      batches: fc.array(
        fc.record({ records: fc.integer({ min: 1, max: 6 }), payload: fc.integer({ min: 0, max: 150 }), ts: fc.integer({ min: -1, max: 1000 }) }),
        { minLength: 1, maxLength: 3 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pick: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('deleteBefore' as const), pick: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), garbage: fc.integer({ min: 0, max: 120 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('read' as const), pick: fc.double({ min: 0, max: 1, noNaN: true }), maxBytes: fc.integer({ min: 0, max: 700 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), ts: fc.integer({ min: -1, max: 1001 }) }) },
);

const configArb = fc.record({
  segmentBytes: fc.integer({ min: 640, max: 2000 }),
  indexIntervalBytes: fc.integer({ min: 0, max: 400 }),
  segmentIndexBytes: fc.integer({ min: 16, max: 400 }),
});

describe('PartitionLog against a model', () => {
  it('agrees with the model under random operations', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.boolean(), async (cfg, ops, pipelined) => {
        const { dir, cleanup } = await tempDir();
        const config = resolveLogConfig(cfg);
        let log = await PartitionLog.open(dir, config);
        let model: ModelBatch[] = [];
        let start = 0;
        let end = 0;
        // Pipelined: mutations are issued without waiting (they decide at call
        // time, so the model is updated at call time too) and awaited before
        // any observation.
        const inFlight: Array<Promise<unknown>> = [];
        const settle = async <T>(p: Promise<T>): Promise<void> => {
          if (pipelined) inFlight.push(p);
          else await p;
        };
        try {
          for (const op of ops) {
            if (op.kind !== 'append' && op.kind !== 'truncate' && op.kind !== 'deleteBefore') {
              await Promise.all(inFlight.splice(0));
            }
            switch (op.kind) {
              case 'append': {
                const buf = Buffer.concat(op.batches.map((b) => makeBatch({ records: b.records, payloadBytes: b.payload, maxTimestamp: b.ts })));
                const expectedBase = end;
                await settle(log.append(buf).then((res) => expect(res.baseOffset).toBe(expectedBase)));
                for (const b of op.batches) {
                  model.push({ base: end, last: end + b.records - 1, ts: b.ts });
                  end += b.records;
                }
                break;
              }
              case 'truncate': {
                // Replication truncates at batch boundaries (or below the log start).
                const bounds = [...model.map((b) => b.base), end, Math.floor(start / 2)];
                const target = bounds[Math.floor(op.pick * bounds.length) % bounds.length] as number;
                await settle(log.truncateTo(target));
                if (target < start) {
                  model = [];
                  start = target;
                  end = target;
                } else if (target < end) {
                  model = model.filter((b) => b.last < target);
                  end = target;
                }
                break;
              }
              case 'deleteBefore': {
                const target = start + Math.floor(op.pick * (end - start + 1));
                await settle(log.deleteRecordsBefore(Math.min(target, end)));
                start = Math.max(start, Math.min(target, end));
                model = model.filter((b) => b.last >= start);
                break;
              }
              case 'reopen':
                await log.close();
                log = await PartitionLog.open(dir, config);
                break;
              case 'crash': {
                await log.close();
                await rm(join(dir, '.kafka_cleanshutdown'));
                const logs = (await readdir(dir)).filter((f) => f.endsWith('.log')).sort();
                const last = logs.at(-1);
                if (last !== undefined && op.garbage > 0) {
                  await appendFile(join(dir, last), makeBatch({ records: 2, payloadBytes: 100 }).subarray(0, op.garbage));
                }
                log = await PartitionLog.open(dir, config);
                break;
              }
              case 'read': {
                const offset = start + Math.floor(op.pick * (end - start + 1));
                const target = Math.min(offset, end);
                const { records } = await log.read(target, op.maxBytes);
                const got = batchesIn(records);
                const expected = model.find((b) => b.last >= target);
                if (expected === undefined) expect(got).toEqual([]);
                else expect(got[0]?.baseOffset).toBe(expected.base);
                break;
              }
              case 'time': {
                const hit = model.find((b) => b.last >= start && b.ts >= op.ts);
                const want = hit === undefined ? null : { offset: Math.max(hit.base, start), timestamp: hit.ts };
                expect(await log.offsetForTimestamp(op.ts)).toEqual(want);
                break;
              }
            }
            expect(log.logStartOffset).toBe(start);
            expect(log.logEndOffset).toBe(end);
          }
          await Promise.all(inFlight.splice(0));
          // Full read-back.
          const seen: Array<[number, number]> = [];
          let offset = start;
          for (;;) {
            const got = batchesIn((await log.read(offset, 1 << 16)).records);
            if (got.length === 0) break;
            for (const b of got) seen.push([b.baseOffset, b.lastOffset]);
            offset = (got.at(-1)?.lastOffset ?? offset) + 1;
          }
          expect(seen).toEqual(model.map((b) => [b.base, b.last]));
        } finally {
          await log.close().catch(() => undefined);
          await cleanup();
        }
      }),
      { numRuns: Number(process.env.LOG_MODEL_RUNS ?? 60) },
    );
  });
});
