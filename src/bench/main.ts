/**
 * `krill bench`: measures the machine's ceilings, then runs every scenario
 * against broker processes started from dist/, prints the table, writes the
 * JSON report, and returns the exit code (1 when the report is not sane).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadavg, setPriority } from 'node:os';
import type { BenchConfig } from './config.js';
import { machineInfo } from './machine.js';
import { needsBroker } from './options.js';
import { brokerBuilt, brokerEntry } from './paths.js';
import { Progress } from './progress.js';
import { buildReport, writeReport, type BenchReport } from './report.js';
import type { ScenarioResult } from './results.js';
import type { RunContext } from './run-context.js';
import { ceilingSteps, runCeilings } from './scenario-ceilings.js';
import { runConsumeScenarios } from './scenario-consume.js';
import { logSteps, runLogScenarios } from './scenario-log.js';
import { runLatencyScenarios } from './scenario-latency.js';
import { runPartitionsScenario } from './scenario-partitions.js';
import { produceSpecs, runProduceScenarios } from './scenario-produce.js';
import { runReferenceScenarios } from './scenario-reference.js';
import { formatReport } from './table.js';
import { WorkerPool } from './workers.js';

interface Stage {
  group: string | null;
  steps: (ctx: RunContext) => number;
  run: (ctx: RunContext) => Promise<ScenarioResult[]>;
}

const STAGES: Stage[] = [
  { group: null, steps: ceilingSteps, run: runCeilings },
  { group: 'log', steps: logSteps, run: runLogScenarios },
  { group: 'produce', steps: (c) => produceSpecs(c).length * c.cfg.repeats, run: runProduceScenarios },
  { group: 'consume', steps: (c) => c.cfg.recordSizes.length * (1 + c.cfg.repeats), run: runConsumeScenarios },
  { group: 'latency', steps: (c) => c.cfg.e2eRates.length * c.cfg.repeats, run: runLatencyScenarios },
  { group: 'partitions', steps: (c) => c.cfg.repeats, run: async (c) => [await runPartitionsScenario(c)] },
  { group: 'kafkajs', steps: (c) => c.cfg.repeats, run: runReferenceScenarios },
];

function selected(cfg: BenchConfig): Stage[] {
  return STAGES.filter((s) => {
    if (s.group === null) return true;
    if (s.group === 'kafkajs' && !cfg.kafkajs) return false;
    return cfg.only.length === 0 || cfg.only.includes(s.group);
  });
}

export async function runBench(cfg: BenchConfig): Promise<{ report: BenchReport; exitCode: number }> {
  const stages = selected(cfg);
  if (needsBroker(cfg.only, cfg.kafkajs) && !brokerBuilt()) {
    throw new Error(`the broker is not built (${brokerEntry} is missing): run npm run build`);
  }
  const startedAt = new Date();
  const progress = new Progress(0);
  const profileRoot = cfg.profile ? join(dirname(cfg.out), 'bench-profiles') : null;
  if (profileRoot) mkdirSync(profileRoot, { recursive: true });
  if (cfg.nice !== null) setPriority(cfg.nice);
  const ctx: RunContext = { cfg, pool: new WorkerPool(cfg.nice), progress, profileRoot, profiles: new Map() };
  // Ceilings run at both ends of the run (see runCeilings).
  progress.setTotal(stages.reduce((n, s) => n + s.steps(ctx), 0) + ceilingSteps(ctx));
  const notes: string[] = [`load average at start ${loadavg().map((x) => x.toFixed(2)).join(' ')}`];
  const results: ScenarioResult[] = [];
  try {
    for (const stage of stages) results.push(...(await stage.run(ctx)));
    await runCeilings(ctx, results.filter((r) => r.kind === 'ceiling'));
  } finally {
    ctx.pool.close();
  }
  notes.push(`load average at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  if (cfg.nice !== null) notes.push(`ran at nice ${cfg.nice} (broker, workers, orchestrator)`);
  if (profileRoot) notes.push(`CPU profiles (.cpuprofile, open in Chrome DevTools) are in ${profileRoot}`);
  const report = buildReport({ cfg, machine: machineInfo(cfg.dataRoot), startedAt, results, profiles: ctx.profiles, notes });
  writeReport(report, cfg.out);
  process.stdout.write(`\n${formatReport(report)}\n\nReport written to ${cfg.out}\n`);
  return { report, exitCode: report.sanity.ok ? 0 : 1 };
}
