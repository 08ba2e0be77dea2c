/**
 * Is the report sane? The quick (CI) mode fails on any problem found here:
 * a scenario that errored or has no repeats, a zero throughput or ceiling,
 * latency percentiles out of order, records sent but never delivered, or a
 * fixed-rate producer far below its rate, or a log-level figure (kind
 * 'log') that is not a finite number.
 */
import type { ScenarioResult } from './results.js';
import type { Summary } from './stats.js';

type Summarized = ScenarioResult & { summary: Record<string, Summary> };

const LATENCY_PREFIXES = ['e2e', 'request', 'send', 'rtt', 'append'];

function checkLatency(s: Summarized, problems: string[]): void {
  for (const [i, m] of s.repeats.entries()) {
    for (const p of LATENCY_PREFIXES) {
      const p50 = m[`${p}P50Ms`];
      const p99 = m[`${p}P99Ms`];
      const p999 = m[`${p}P999Ms`];
      if (p50 === undefined || p50 === null || p99 === undefined || p99 === null || p999 === undefined || p999 === null) continue;
      if (!(p50 <= p99 && p99 <= p999)) problems.push(`${s.name} repeat ${i + 1}: ${p} latency out of order (p50 ${p50}, p99 ${p99}, p99.9 ${p999})`);
      if (!(p50 > 0)) problems.push(`${s.name} repeat ${i + 1}: ${p} p50 latency is ${p50}`);
    }
  }
}

export function sanityProblems(scenarios: Summarized[]): string[] {
  const problems: string[] = [];
  for (const s of scenarios) {
    if (s.skipped !== null) continue;
    for (const e of s.errors) problems.push(`${s.name}: ${e.split('\n')[0]}`);
    if (s.repeats.length === 0) {
      if (s.errors.length === 0) problems.push(`${s.name}: no results`);
      continue;
    }
    for (const [i, m] of s.repeats.entries()) {
      if (s.kind === 'log') {
        for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && !Number.isFinite(v)) problems.push(`${s.name} repeat ${i + 1}: ${k} is ${v}`);
      }
      if (!((m.mbPerSec ?? 0) > 0)) problems.push(`${s.name} repeat ${i + 1}: MB/s is ${m.mbPerSec}`);
      if (s.kind !== 'ceiling' && !((m.recordsPerSec ?? 0) > 0)) problems.push(`${s.name} repeat ${i + 1}: records/s is ${m.recordsPerSec}`);
      if ((m.errors ?? 0) > 0) problems.push(`${s.name} repeat ${i + 1}: ${m.errors} request errors`);
      if (s.kind === 'latency') {
        if ((m.undeliveredRecords ?? 0) > 0) problems.push(`${s.name} repeat ${i + 1}: ${m.undeliveredRecords} records sent but not delivered`);
        const target = m.targetRecordsPerSec ?? 0;
        if ((m.achievedRecordsPerSec ?? 0) < target * 0.5) problems.push(`${s.name} repeat ${i + 1}: producer reached ${m.achievedRecordsPerSec} of ${target} records/s`);
      }
    }
    checkLatency(s, problems);
  }
  return problems;
}
