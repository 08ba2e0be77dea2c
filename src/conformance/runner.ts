/**
 * Runs conformance checks against a bootstrap address and collects one
 * result per (check, version). Checks run one after another (their versions
 * too, unless a check is marked parallel), each with its own connections and
 * a time limit, so one hanging request cannot stall the run. APIs the broker
 * advertises that no check covers are listed as skipped, so the report shows
 * every advertised API.
 */
import { API_NAMES } from '../protocol/generated/api-keys.js';
import type { Check, CheckResult, Status } from './check.js';
import { isFlexible, type TaggedField } from './connection.js';
import { SkipCheck } from './assert.js';
import { CheckContext, Suite, type SuiteOptions } from './suite.js';
import { ALL_CHECKS } from './checks/index.js';

export interface RunOptions extends SuiteOptions {
  /** Only checks whose id starts with one of these. */
  only?: readonly string[];
  /** The checks to run (default: all of them). */
  checks?: readonly Check[];
  /** Called as each result comes in (progress output). */
  onResult?: (r: CheckResult) => void;
}

export interface AdvertisedApi {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
}

export interface ConformanceReport {
  bootstrap: string;
  startedAt: string;
  durationMs: number;
  krill: boolean;
  clusterId: string | null;
  brokers: number;
  advertised: AdvertisedApi[];
  summary: Record<Status, number>;
  results: CheckResult[];
}

/** The unknown tagged fields the KIP-482 variants send: a high tag no schema uses. */
export const CONFORMANCE_TAGS: TaggedField[] = [[12_345, Buffer.from('krill-conformance')]];
const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

export const apiName = (apiKey: number | null): string => (apiKey === null ? 'Scenario' : (API_NAMES[apiKey] ?? `Api${apiKey}`));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function versionsOf(suite: Suite, check: Check): number[] {
  if (check.apiKey === null || check.versions === undefined) return [];
  const f = check.versions === 'all' ? {} : check.versions;
  return suite
    .versions(check.apiKey)
    .filter((v) => v >= (f.min ?? 0) && v <= (f.max ?? Number.MAX_SAFE_INTEGER))
    .filter((v) => !f.flexibleOnly || isFlexible(check.apiKey!, v, 'request'));
}

class Run {
  readonly results: CheckResult[] = [];

  constructor(
    readonly suite: Suite,
    readonly opts: RunOptions,
  ) {}

  private record(check: Check, version: number | null, status: Status, detail: string | undefined, durationMs: number, tagged = false): void {
    const r: CheckResult = {
      check: tagged ? `${check.id}+tags` : check.id,
      title: tagged ? `${check.title} (with unknown tagged fields)` : check.title,
      api: check.area ?? apiName(check.apiKey),
      apiKey: check.apiKey,
      version,
      status,
      durationMs,
    };
    if (detail !== undefined) r.detail = detail;
    this.results.push(r);
    this.opts.onResult?.(r);
  }

  private async runOne(check: Check, version: number | null, tagged: boolean): Promise<void> {
    const ctx = new CheckContext(this.suite, tagged ? CONFORMANCE_TAGS : undefined);
    const start = Date.now();
    try {
      await withTimeout(check.run(ctx, version ?? -1), check.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS, check.id);
      this.record(check, version, 'passed', undefined, Date.now() - start, tagged);
    } catch (err) {
      const status = err instanceof SkipCheck ? 'skipped' : 'failed';
      const e = err as Error;
      const detail = e instanceof SkipCheck || e.name === 'CheckFailure' ? e.message : `${e.name}: ${e.message}`;
      this.record(check, version, status, detail, Date.now() - start, tagged);
    } finally {
      ctx.close();
    }
  }

  private skipReason(check: Check): string | null {
    if (check.krillOnly && !this.suite.krill) return 'Krill-specific check; run with --krill';
    const needed = [...(check.apiKey === null ? [] : [check.apiKey]), ...(check.requires ?? [])];
    const missing = needed.filter((k) => !this.suite.has(k));
    if (missing.length > 0) return `the broker does not advertise ${missing.map(apiName).join(', ')}`;
    return null;
  }

  async runCheck(check: Check): Promise<void> {
    const reason = this.skipReason(check);
    if (reason !== null) return this.record(check, null, 'skipped', reason, 0);
    if (check.versions === undefined) return this.runOne(check, null, false);
    const versions = versionsOf(this.suite, check);
    if (versions.length === 0) return this.record(check, null, 'skipped', 'no advertised version of the API is in the range this check applies to', 0);
    const jobs: Array<[number, boolean]> = versions.map((v) => [v, false]);
    if (check.tagged) for (const v of versions) if (isFlexible(check.apiKey!, v, 'request')) jobs.push([v, true]);
    if (check.parallel) {
      await Promise.all(jobs.map(([v, t]) => this.runOne(check, v, t)));
    } else {
      for (const [v, t] of jobs) await this.runOne(check, v, t);
    }
  }

  /** One skipped row for each advertised API no check graded. */
  recordUncovered(checks: readonly Check[]): void {
    const covered = new Set(checks.map((c) => c.apiKey));
    for (const [apiKey, range] of [...this.suite.advertised].sort((a, b) => a[0] - b[0])) {
      if (covered.has(apiKey)) continue;
      const r: CheckResult = {
        check: 'coverage',
        title: `no conformance checks for this API yet (advertised v${range.min}-${range.max})`,
        api: apiName(apiKey),
        apiKey,
        version: null,
        status: 'skipped',
        detail: 'not covered by this suite',
        durationMs: 0,
      };
      this.results.push(r);
      this.opts.onResult?.(r);
    }
  }
}

/** Runs the suite against `bootstrap`. Throws only when the broker cannot be reached at all. */
export async function runConformance(bootstrap: string, opts: RunOptions = {}): Promise<ConformanceReport> {
  const startedAt = new Date();
  const suite = await Suite.open(bootstrap, opts);
  const all = opts.checks ?? ALL_CHECKS;
  const checks = opts.only?.length ? all.filter((c) => opts.only!.some((p) => c.id.startsWith(p))) : all;
  const run = new Run(suite, opts);
  try {
    for (const check of checks) await run.runCheck(check);
    if (!opts.only?.length) run.recordUncovered(all);
  } finally {
    await suite.cleanup();
  }
  const summary: Record<Status, number> = { passed: 0, failed: 0, skipped: 0 };
  for (const r of run.results) summary[r.status]++;
  return {
    bootstrap,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    krill: suite.krill,
    clusterId: suite.clusterId,
    brokers: suite.brokers.size,
    advertised: [...suite.advertised]
      .sort((a, b) => a[0] - b[0])
      .map(([apiKey, r]) => ({ apiKey, name: apiName(apiKey), minVersion: r.min, maxVersion: r.max })),
    summary,
    results: run.results,
  };
}
