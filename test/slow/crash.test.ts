/**
 * The long crash loop (npm run test:crash): at least 25 SIGKILLs of a real
 * broker process under continuous acks=all idempotent produce, some during
 * start-up recovery, with every acknowledged record checked after every
 * restart (see crash-loop.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCrashLoop } from './crash-loop.js';

describe('crash loop', () => {
  it('keeps every acknowledged record through 25+ SIGKILLs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'krill-crash-'));
    const seed = Number(process.env.KRILL_CRASH_SEED ?? Date.now() % 1_000_000);
    console.log(`crash loop seed ${seed} (KRILL_CRASH_SEED to replay the kill timing)`);
    try {
      const kills = Number(process.env.KRILL_CRASH_KILLS ?? 25);
      const report = await runCrashLoop({ dataDir, kills, seed, log: (l) => console.log(l) });
      console.log(JSON.stringify({ ...report, restartMs: undefined, restartMsMax: Math.max(...report.restartMs), restartMsMedian: [...report.restartMs].sort((a, b) => a - b)[report.restartMs.length >> 1] }));
      expect(report.kills).toBeGreaterThanOrEqual(kills);
      expect(Object.values(report.acked).every((n) => n > 0)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
