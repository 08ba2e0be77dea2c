/**
 * The human report: a table of checks passed / failed / skipped per API and
 * version, then every failure with what was expected and what came back,
 * then the skip reasons (grouped, so an unadvertised API is one line).
 */
import type { CheckResult } from './check.js';
import type { ConformanceReport } from './runner.js';

interface Row {
  api: string;
  apiKey: number | null;
  version: number | null;
  passed: number;
  failed: number;
  skipped: number;
}

function rows(results: readonly CheckResult[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const r of results) {
    const key = `${r.apiKey ?? 'x'}|${r.api}|${r.version ?? '-'}`;
    let row = byKey.get(key);
    if (!row) {
      row = { api: r.api, apiKey: r.apiKey, version: r.version, passed: 0, failed: 0, skipped: 0 };
      byKey.set(key, row);
    }
    row[r.status]++;
  }
  const order = (r: Row): number => (r.apiKey === null ? 1e6 : r.apiKey);
  return [...byKey.values()].sort((a, b) => order(a) - order(b) || a.api.localeCompare(b.api) || (a.version ?? -1) - (b.version ?? -1));
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Collapses a list of versions into ranges: [3,4,5,7] → "v3-5, v7". */
export function versionRanges(versions: readonly number[]): string {
  const vs = [...new Set(versions)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < vs.length; ) {
    let j = i;
    while (j + 1 < vs.length && vs[j + 1] === vs[j]! + 1) j++;
    parts.push(i === j ? `v${vs[i]}` : `v${vs[i]}-${vs[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

export function formatReport(report: ConformanceReport): string {
  const out: string[] = [];
  out.push(`Conformance of ${report.bootstrap} (cluster ${report.clusterId ?? '?'}, ${report.brokers} broker(s))${report.krill ? ' with Krill-specific checks' : ''}`);
  out.push('');
  out.push(
    table(
      ['API', 'version', 'passed', 'failed', 'skipped'],
      rows(report.results).map((r) => [
        r.apiKey === null ? r.api : `${r.api} (${r.apiKey})`,
        r.version === null ? '-' : `v${r.version}`,
        String(r.passed),
        r.failed ? `${r.failed} ✗` : '0',
        String(r.skipped),
      ]),
    ),
  );
  const failures = report.results.filter((r) => r.status === 'failed');
  if (failures.length > 0) {
    out.push('', `Failures (${failures.length}):`);
    for (const f of failures) out.push(`  ✗ ${f.api}${f.version === null ? '' : ` v${f.version}`} ${f.check}: ${f.detail ?? ''}`);
  }
  const skips = new Map<string, { r: CheckResult; where: Map<string, number[]> }>();
  for (const r of report.results.filter((x) => x.status === 'skipped')) {
    const key = `${r.check}|${r.check === 'coverage' ? r.api : r.detail}`;
    const s = skips.get(key) ?? { r, where: new Map<string, number[]>() };
    const vs = s.where.get(r.api) ?? [];
    if (r.version !== null) vs.push(r.version);
    s.where.set(r.api, vs);
    skips.set(key, s);
  }
  if (skips.size > 0) {
    out.push('', 'Skipped:');
    for (const { r, where } of skips.values()) {
      const apis = [...where].map(([api, vs]) => (vs.length ? `${api} ${versionRanges(vs)}` : api)).join(', ');
      out.push(r.check === 'coverage' ? `  - ${apis}: ${r.title}` : `  - ${r.check} (${apis}): ${r.detail ?? ''}`);
    }
  }
  const s = report.summary;
  out.push('', `${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped in ${(report.durationMs / 1000).toFixed(1)} s`);
  return out.join('\n');
}

/** The JSON report (what --json writes). */
export function reportJson(report: ConformanceReport): string {
  return JSON.stringify(report, null, 2);
}
