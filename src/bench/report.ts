/**
 * The JSON report: machine, configuration, ceilings, every scenario with
 * its raw repeats and a min/median/max summary of each figure, each
 * throughput's ratio to its ceiling, the targets, the sanity check and the
 * profile summaries (when profiling).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import type { MachineInfo } from './machine.js';
import { packageRoot } from './paths.js';
import type { ProfileSummary } from './profile-summary.js';
import type { CeilingName, ScenarioResult } from './results.js';
import { sanityProblems } from './sanity.js';
import { round, summarize, type Summary } from './stats.js';
import { evaluateTargets, type TargetResult } from './targets.js';

export type SummarizedScenario = ScenarioResult & { summary: Record<string, Summary> };

export interface BenchReport {
  tool: 'krill bench';
  reportVersion: 1;
  krillVersion: string;
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  machine: MachineInfo;
  config: BenchConfig;
  units: Record<string, string>;
  ceilings: Record<CeilingName, { mbPerSec: Summary | null; from: string | null }>;
  scenarios: SummarizedScenario[];
  targets: TargetResult[];
  sanity: { ok: boolean; problems: string[] };
  profiles: Record<string, ProfileSummary[]>;
  notes: string[];
}

const UNITS: Record<string, string> = {
  mbPerSec: 'decimal megabytes (10^6 bytes) per second of record-batch bytes as sent on the wire (ceilings: raw bytes)',
  recordsPerSec: 'records per second',
  ratioToCeiling: 'mbPerSec divided by the median of the relevant ceiling (loopback or disk), measured at the start and at the end of the run',
  phase: 'ceilings only: 0 = measured at the start of the run, 1 = at the end',
  brokerCpuPct: 'broker process CPU (user+system from /proc/<pid>/stat) over the window; 100 = one core',
  brokerSysCpuPct: 'the kernel (system) part of brokerCpuPct',
  brokerMainThreadCpuPct: 'CPU of the broker\'s main thread (its event loop) alone; near 100 means the event loop is saturated',
  brokerPreemptionsPerSec: 'involuntary context switches of the broker\'s main thread per second: how often other work took its core',
  brokerRssMaxMB: 'largest broker VmRSS sampled every 100 ms in the window, MiB',
  clientCpuPct: 'CPU of all load generator processes over the window; 100 = one core',
  loadAvg1m: 'the machine\'s 1-minute load average when the repeat ended (other work on a shared machine shows here)',
  'e2eP50Ms etc.': 'produce-to-delivery latency per record, milliseconds',
  'requestP50Ms etc.': 'produce request round trip as the load generator saw it, milliseconds',
  'appendP50Ms etc.': 'log scenarios: one PartitionLog.append call until its bytes are written (and, with fsync, until the flush() after it is durable), milliseconds',
  fsyncsPerSec: 'log-append-fsync: group-commit fsync rounds per second; appendsPerFsync = appends made durable by one round',
  recoveryMs: 'log-recovery: time PartitionLog.open took to verify every batch (CRC-32C) and rebuild the indexes',
  cachedAtStartPct: 'cold reads: share of the data still in the page cache when the read started (fincore)',
};

function krillVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function summarizeScenario(s: ScenarioResult): SummarizedScenario {
  const keys = new Set<string>();
  for (const m of s.repeats) for (const k of Object.keys(m)) keys.add(k);
  const summary: Record<string, Summary> = {};
  for (const k of keys) {
    const v = summarize(s.repeats.map((m) => m[k]).filter((x): x is number => typeof x === 'number'));
    if (v) summary[k] = { min: round(v.min), median: round(v.median), max: round(v.max), values: v.values };
  }
  const repeats = s.repeats.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === null ? null : round(v)])));
  return { ...s, repeats, summary };
}

/** The best median among the scenarios of a ceiling family. */
function ceilingOf(scenarios: SummarizedScenario[], prefix: string): { mbPerSec: Summary | null; from: string | null } {
  let best: SummarizedScenario | null = null;
  for (const s of scenarios) {
    if (!s.name.startsWith(prefix) || !s.summary.mbPerSec) continue;
    if (best === null || s.summary.mbPerSec.median > (best.summary.mbPerSec?.median ?? 0)) best = s;
  }
  return { mbPerSec: best?.summary.mbPerSec ?? null, from: best?.name ?? null };
}

/** Ceilings whose start-of-run and end-of-run medians differ by more than a third. */
function ceilingDrift(scenarios: SummarizedScenario[]): string[] {
  const notes: string[] = [];
  for (const s of scenarios) {
    if (s.kind !== 'ceiling') continue;
    const phase = (p: number): Summary | null => summarize(s.repeats.filter((m) => m.phase === p).map((m) => m.mbPerSec ?? NaN));
    const start = phase(0);
    const end = phase(1);
    if (!start || !end) continue;
    const hi = Math.max(start.median, end.median);
    if (hi > 0 && Math.abs(start.median - end.median) / hi > 1 / 3) {
      notes.push(
        `${s.name} moved from ${start.median.toFixed(0)} MB/s at the start to ${end.median.toFixed(0)} MB/s at the end of the run: ` +
          'the machine\'s load changed, so ratios to this ceiling are uncertain',
      );
    }
  }
  return notes;
}

export interface ReportInput {
  cfg: BenchConfig;
  machine: MachineInfo;
  startedAt: Date;
  results: ScenarioResult[];
  profiles: Map<string, ProfileSummary[]>;
  notes: string[];
}

export function buildReport(input: ReportInput): BenchReport {
  let scenarios = input.results.map(summarizeScenario);
  const ceilings = {
    loopback: ceilingOf(scenarios, 'ceiling-loopback-'),
    disk: ceilingOf(scenarios, 'ceiling-disk-'),
  };
  // Ratios per repeat against the ceiling's median, then summarized like every other figure.
  const withRatios = input.results.map((s) => {
    const c = s.ceiling === null ? null : (ceilings[s.ceiling].mbPerSec?.median ?? null);
    if (c === null || c <= 0) return s;
    return { ...s, repeats: s.repeats.map((m) => (m.mbPerSec === null || m.mbPerSec === undefined ? m : { ...m, ratioToCeiling: m.mbPerSec / c })) };
  });
  scenarios = withRatios.map(summarizeScenario);
  const problems = sanityProblems(scenarios);
  const notes = [...input.notes, ...ceilingDrift(scenarios)];
  const finishedAt = new Date();
  return {
    tool: 'krill bench',
    reportVersion: 1,
    krillVersion: krillVersion(),
    mode: input.cfg.quick ? 'quick' : 'full',
    startedAt: input.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSec: Math.round((finishedAt.getTime() - input.startedAt.getTime()) / 1000),
    machine: input.machine,
    config: input.cfg,
    units: UNITS,
    ceilings,
    scenarios,
    targets: evaluateTargets(scenarios),
    sanity: { ok: problems.length === 0, problems },
    profiles: Object.fromEntries(input.profiles),
    notes,
  };
}

export function writeReport(report: BenchReport, path: string): void {
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}
