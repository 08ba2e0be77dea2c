import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/bench/config.js';
import type { MachineInfo } from '../../../src/bench/machine.js';
import { configFromArgs, GROUPS, needsBroker } from '../../../src/bench/options.js';
import { buildReport } from '../../../src/bench/report.js';
import { newResult, type ScenarioResult } from '../../../src/bench/results.js';
import { sanityProblems } from '../../../src/bench/sanity.js';
import { formatReport } from '../../../src/bench/table.js';

const machine: MachineInfo = {
  cpus: 2,
  cpuModel: 'test cpu',
  memoryBytes: 2 ** 30,
  kernel: '6.0',
  os: 'linux',
  arch: 'x64',
  node: 'v20',
  v8: '11',
  hostname: 'test',
  loadAverage: [0, 0, 0],
  dataDir: '/tmp',
  filesystem: { type: 'ext4', device: '/dev/test' },
};

function diskCeiling(values: number[]): ScenarioResult {
  const r = newResult('ceiling-disk-64KiB', 'ceiling', 'disk', {}, null);
  r.repeats = values.map((v) => ({ mbPerSec: v, phase: 0 }));
  return r;
}

function logResult(name: string, repeats: Array<Record<string, number | null>>): ScenarioResult {
  const r = newResult(name, 'log', `in-process ${name}`, {}, 'disk');
  r.repeats = repeats;
  return r;
}

describe('log group in the report', () => {
  it('gives each log figure a ratio to the disk ceiling median, summarized over repeats', () => {
    const cfg = defaultConfig(true);
    const fsync = logResult('log-append-fsync', [
      { mbPerSec: 100, recordsPerSec: 1000, appendP50Ms: 1, appendP99Ms: 2, appendP999Ms: 3 },
      { mbPerSec: 150, recordsPerSec: 1500, appendP50Ms: 1, appendP99Ms: 2, appendP999Ms: 3 },
      { mbPerSec: 50, recordsPerSec: 500, appendP50Ms: 1, appendP99Ms: 2, appendP999Ms: 3 },
    ]);
    const report = buildReport({ cfg, machine, startedAt: new Date(), results: [diskCeiling([190, 200, 210]), fsync], profiles: new Map(), notes: [] });
    const s = report.scenarios.find((x) => x.name === 'log-append-fsync');
    expect(s?.summary.ratioToCeiling).toMatchObject({ min: 0.25, median: 0.5, max: 0.75 });
    expect(s?.summary.mbPerSec).toMatchObject({ min: 50, median: 100, max: 150 });
    expect(report.sanity.ok).toBe(true);
    const table = formatReport(report);
    expect(table).toMatch(/log-append-fsync\s+100\.0 \(50-150\)\s+1,000\s+50% disk\s+1\.00 \/ 2\.00 \/ 3\.00 append/);
    expect(table).toContain('log-* rows');
  });

  it('shows a cold read that could not be measured as skipped, without failing sanity', () => {
    const cold = logResult('log-read-cold', []);
    cold.skipped = 'cold not measurable: fincore is missing, so eviction cannot be confirmed';
    const report = buildReport({ cfg: defaultConfig(true), machine, startedAt: new Date(), results: [diskCeiling([200]), cold], profiles: new Map(), notes: [] });
    expect(report.sanity.ok).toBe(true);
    expect(formatReport(report)).toContain('(log-read-cold skipped: cold not measurable');
  });
});

describe('sanity of log figures', () => {
  const summarized = (r: ScenarioResult) => ({ ...r, summary: {} });

  it('flags zero and non-finite figures', () => {
    const bad = logResult('log-recovery', [{ mbPerSec: 0, recordsPerSec: 10, recoveryMs: Number.POSITIVE_INFINITY }]);
    const problems = sanityProblems([summarized(bad)]);
    expect(problems).toContain('log-recovery repeat 1: MB/s is 0');
    expect(problems).toContain('log-recovery repeat 1: recoveryMs is Infinity');
  });

  it('checks append latency order', () => {
    const bad = logResult('log-append-nofsync', [{ mbPerSec: 10, recordsPerSec: 10, appendP50Ms: 5, appendP99Ms: 2, appendP999Ms: 3 }]);
    expect(sanityProblems([summarized(bad)]).join('\n')).toMatch(/append latency out of order/);
  });

  it('accepts sane figures', () => {
    const ok = logResult('log-read-warm', [{ mbPerSec: 300, recordsPerSec: 3e5, readsPerSec: 300, brokerCpuPct: 80, errors: 0, appendP50Ms: null }]);
    expect(sanityProblems([summarized(ok)])).toEqual([]);
  });
});

describe('log options', () => {
  it('has a log group and a size option', () => {
    expect(GROUPS).toContain('log');
    const cfg = configFromArgs({ quick: true, only: ['log'], 'log-mib': 8 });
    expect(cfg.only).toEqual(['log']);
    expect(cfg.logBytes).toBe(8 * 2 ** 20);
  });

  it('writes 64 MiB in quick mode and 1 GiB in full mode', () => {
    expect(defaultConfig(true).logBytes).toBe(64 * 2 ** 20);
    expect(defaultConfig(false).logBytes).toBe(2 ** 30);
  });
});

describe('needsBroker', () => {
  it('is false only when in-process groups alone are selected', () => {
    expect(needsBroker(['log'])).toBe(false);
    expect(needsBroker(['log', 'produce'])).toBe(true);
    expect(needsBroker([])).toBe(true);
    expect(needsBroker([], false)).toBe(true);
  });
});
