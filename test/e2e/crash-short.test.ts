/**
 * A short crash loop for the default suite: three SIGKILLs of a real broker
 * process under acks=all idempotent produce, every acknowledged record
 * checked after each restart. The long one is `npm run test:crash`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCrashLoop } from '../slow/crash-loop.js';

describe('crash loop (short)', () => {
  it('keeps every acknowledged record through SIGKILLs', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'krill-crash-short-'));
    try {
      const report = await runCrashLoop({ dataDir, kills: 3, seed: 20240611, maxRunMs: 800 });
      expect(report.restartMs).toHaveLength(3);
      expect(Object.values(report.acked).every((n) => n > 0)).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
