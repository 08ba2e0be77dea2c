import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/bench/config.js';
import { Progress } from '../../../src/bench/progress.js';
import type { RunContext } from '../../../src/bench/run-context.js';
import { runLogScenarios } from '../../../src/bench/scenario-log.js';
import type { WorkerPool } from '../../../src/bench/workers.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'krill-bench-log-test-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function context(): RunContext {
  const cfg = { ...defaultConfig(true), dataRoot: root, logBytes: 2 * 2 ** 20, batchBytes: 16 * 1024, fetchBytes: 64 * 1024 };
  const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
  // The log group runs in process: it never takes a load worker.
  return { cfg, pool: {} as WorkerPool, progress: new Progress(0, quiet), profileRoot: null, profiles: new Map() };
}

describe('log scenarios (in-process PartitionLog, small)', () => {
  it('measures every figure, with a recovery that verified the whole log, and cleans up', async () => {
    const results = await runLogScenarios(context());
    expect(results.map((r) => r.name)).toEqual(['log-append-fsync', 'log-append-nofsync', 'log-read-cold', 'log-read-warm', 'log-recovery']);
    for (const r of results) {
      expect(r.errors).toEqual([]);
      expect(r.ceiling).toBe('disk');
      if (r.skipped !== null) {
        expect(r.name).toBe('log-read-cold');
        expect(r.skipped).toMatch(/cold not measurable/);
        continue;
      }
      expect(r.repeats).toHaveLength(1);
      const m = r.repeats[0];
      expect(m.mbPerSec).toBeGreaterThan(0);
      expect(m.recordsPerSec).toBeGreaterThan(0);
    }
    const fsync = results[0].repeats[0];
    expect(fsync.fsyncsPerSec).toBeGreaterThan(0);
    expect(fsync.appendsPerFsync).toBeGreaterThanOrEqual(1);
    expect(results[4].repeats[0].recoveryMs).toBeGreaterThan(0);
    expect(await readdir(root)).toEqual([]);
  });
});
