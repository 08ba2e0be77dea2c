/**
 * Plumbing every scenario shares: a fresh broker process on a fresh log dir
 * (removed afterwards), optional CPU profiles, measured windows, and adding
 * up worker results.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerProcess } from './broker-process.js';
import type { BenchConfig } from './config.js';
import { Histogram } from './histogram.js';
import { summarizeProfile, type ProfileSummary } from './profile-summary.js';
import { LiveRate, type Progress } from './progress.js';
import type { ProcWindow } from './proc-stats.js';
import { mbPerSec, perSec } from './stats.js';
import type { Target, WorkerResult } from './types.js';
import type { JobOutcome, WorkerPool } from './workers.js';

/** One repeat's figures; null where a figure could not be measured. */
export type Metrics = Record<string, number | null>;

export interface RunContext {
  cfg: BenchConfig;
  pool: WorkerPool;
  progress: Progress;
  /** Directory for profiles (under the report's directory) when profiling. */
  profileRoot: string | null;
  /** Profile summaries by scenario name. */
  profiles: Map<string, ProfileSummary[]>;
}

export interface BrokerRun {
  broker: BrokerProcess;
  logDir: string;
  target: Target;
}

/**
 * Starts a broker on a fresh log dir, runs fn, stops the broker (keeping
 * its profile summary when profiling) and removes the dir.
 */
export async function withBroker<T>(ctx: RunContext, scenario: string, config: Record<string, string>, fn: (run: BrokerRun) => Promise<T>): Promise<T> {
  const logDir = mkdtempSync(join(ctx.cfg.dataRoot, 'krill-bench-'));
  try {
    return await withBrokerOn(ctx, scenario, logDir, config, fn);
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}

/** Like withBroker on an existing log dir, which is kept (restarts over the same data). */
export async function withBrokerOn<T>(ctx: RunContext, scenario: string, logDir: string, config: Record<string, string>, fn: (run: BrokerRun) => Promise<T>): Promise<T> {
  let profileDir: string | undefined;
  if (ctx.profileRoot !== null) {
    profileDir = mkdtempSync(join(ctx.profileRoot, `${scenario}-`));
    mkdirSync(profileDir, { recursive: true });
  }
  const broker = await BrokerProcess.start({ logDir, config, profileDir, nice: ctx.cfg.nice });
  let ok = false;
  try {
    const out = await fn({ broker, logDir, target: { host: broker.host, port: broker.port } });
    ok = true;
    return out;
  } catch (err) {
    const e = err as Error;
    e.message += `\nlast broker log lines:\n${broker.recentLog()}`;
    throw e;
  } finally {
    const profile = await broker.stop();
    if (ok && profile) {
      const list = ctx.profiles.get(scenario) ?? [];
      list.push(summarizeProfile(profile, ctx.cfg.profileTop));
      ctx.profiles.set(scenario, list);
    }
  }
}

/** A measured window starting after setup time and warm-up. */
export function windowFrom(setupMs: number, warmupMs: number, durationMs: number): { startMs: number; endMs: number } {
  const startMs = Date.now() + setupMs + warmupMs;
  return { startMs, endMs: startMs + durationMs };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Partition i goes to worker i mod n. */
export function splitPartitions(partitions: number, workers: number): number[][] {
  const out: number[][] = Array.from({ length: workers }, () => []);
  for (let p = 0; p < partitions; p++) out[p % workers].push(p);
  return out.filter((g) => g.length > 0);
}

export interface Totals {
  records: number;
  bytes: number;
  elapsedMs: number;
  errors: number;
  firstError: string | null;
  clientCpuMs: number;
  latency: Histogram;
  extra: Record<string, number>;
  skipped: string | null;
}

/** Adds up worker outcomes; the window is the longest worker window. */
export function totals(outcomes: JobOutcome[]): Totals {
  const t: Totals = { records: 0, bytes: 0, elapsedMs: 0, errors: 0, firstError: null, clientCpuMs: 0, latency: new Histogram(), extra: {}, skipped: null };
  for (const o of outcomes) {
    if (o.status === 'skipped') {
      t.skipped = o.reason;
      continue;
    }
    const r: WorkerResult = o.result;
    t.records += r.records;
    t.bytes += r.bytes;
    t.elapsedMs = Math.max(t.elapsedMs, r.elapsedMs);
    t.errors += r.errors;
    t.firstError ??= r.firstError ?? null;
    t.clientCpuMs += r.cpuMs;
    if (r.latency) t.latency.merge(r.latency);
    for (const [k, v] of Object.entries(r.extra ?? {})) t.extra[k] = (t.extra[k] ?? 0) + v;
  }
  return t;
}

/** The standard figures of a throughput window. */
export function throughputMetrics(t: Totals, broker: ProcWindow): Metrics {
  return {
    mbPerSec: mbPerSec(t.bytes, t.elapsedMs),
    recordsPerSec: perSec(t.records, t.elapsedMs),
    brokerCpuPct: broker.cpuPct,
    brokerSysCpuPct: broker.sysCpuPct ?? null,
    brokerMainThreadCpuPct: broker.mainThreadCpuPct ?? null,
    brokerPreemptionsPerSec: broker.mainPreemptionsPerSec ?? null,
    brokerRssMaxMB: broker.rssMaxMB,
    brokerRssAvgMB: broker.rssAvgMB,
    clientCpuPct: t.elapsedMs > 0 ? (t.clientCpuMs / t.elapsedMs) * 100 : null,
    errors: t.errors,
  };
}

/** Latency percentiles (ms) of a histogram in microseconds, under a prefix. */
export function latencyMetrics(prefix: string, h: Histogram): Metrics {
  if (h.count === 0) return {};
  return {
    [`${prefix}P50Ms`]: h.quantile(0.5) / 1000,
    [`${prefix}P99Ms`]: h.quantile(0.99) / 1000,
    [`${prefix}P999Ms`]: h.quantile(0.999) / 1000,
    [`${prefix}MaxMs`]: h.max / 1000,
  };
}

/** A LiveRate wired to the progress line. */
export function liveRate(ctx: RunContext): LiveRate {
  return new LiveRate((text) => ctx.progress.live(text));
}
