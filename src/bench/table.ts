/**
 * The human-readable summary printed on stdout: ceilings, one row per
 * scenario (medians, with the min-max range of MB/s), targets, hot spots.
 */
import type { BenchReport, SummarizedScenario } from './report.js';

type Row = string[];

function table(header: Row, rows: Row[], rightAlign: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row): string =>
    r
      .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fixed = (x: number | undefined, d = 1): string => (x === undefined ? '-' : x.toFixed(d));
const int = (x: number | undefined): string => (x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
const pct = (x: number | undefined): string => (x === undefined ? '-' : `${Math.round(x * 100)}%`);

function med(s: SummarizedScenario, k: string): number | undefined {
  return s.summary[k]?.median;
}

function mbCell(s: SummarizedScenario): string {
  const m = s.summary.mbPerSec;
  if (!m) return '-';
  return m.values.length > 1 ? `${m.median.toFixed(1)} (${m.min.toFixed(0)}-${m.max.toFixed(0)})` : m.median.toFixed(1);
}

function latencyCell(s: SummarizedScenario): string {
  const prefix = s.summary.e2eP50Ms ? 'e2e' : s.summary.requestP50Ms ? 'request' : s.summary.sendP50Ms ? 'send' : s.summary.appendP50Ms ? 'append' : null;
  if (prefix === null) return '-';
  const v = (k: string): string => fixed(med(s, `${prefix}${k}`), 2);
  return `${v('P50Ms')} / ${v('P99Ms')} / ${v('P999Ms')} ${prefix === 'e2e' || prefix === 'append' ? prefix : 'rtt'}`;
}

function rssCell(s: SummarizedScenario): string {
  const max = med(s, 'brokerRssMaxMB');
  if (s.kind === 'partitions') {
    const settled = med(s, 'rssSettledAfterLoadMB');
    return `${fixed(med(s, 'rssIdleEmptyMB'), 0)}/${fixed(max, 0)}/${fixed(med(s, 'rssIdleAfterLoadMB'), 0)}${settled === undefined ? '' : `/${fixed(settled, 0)}`}`;
  }
  return fixed(max, 0);
}

export function formatReport(r: BenchReport): string {
  const out: string[] = [];
  out.push(`Krill ${r.krillVersion} benchmark (${r.mode}), ${r.machine.cpus} x ${r.machine.cpuModel}, ${(r.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, ` +
    `Linux ${r.machine.kernel}, Node ${r.machine.node}, logs on ${r.machine.filesystem.type ?? '?'} (${r.machine.dataDir})`);
  out.push(`Repeats: ${r.config.repeats}; figures are medians (MB/s shows min-max). MB = 10^6 bytes. Shared machine: expect noise.`);
  out.push('');
  const c = r.ceilings;
  out.push(`Ceilings: loopback TCP ${fixed(c.loopback.mbPerSec?.median)} MB/s (${c.loopback.from ?? '-'}), disk write+fdatasync ${fixed(c.disk.mbPerSec?.median)} MB/s (${c.disk.from ?? '-'})`);
  const rtt = r.scenarios.find((s) => s.name.startsWith('ceiling-rtt'));
  if (rtt?.summary.rttP50Ms) {
    out.push(`Latency floor (${rtt.description}): p50 ${fixed(med(rtt, 'rttP50Ms'), 3)} / p99 ${fixed(med(rtt, 'rttP99Ms'), 3)} / p99.9 ${fixed(med(rtt, 'rttP999Ms'), 3)} ms`);
  }
  out.push('');
  const rows = r.scenarios
    .filter((s) => s.kind !== 'ceiling')
    .map((s) => {
      if (s.skipped !== null && s.repeats.length === 0) return [s.name, 'skipped', '', '', '', '', '', ''];
      if (s.repeats.length === 0) return [s.name, 'FAILED', '', '', '', '', '', ''];
      const ceil = s.ceiling === null ? '-' : `${pct(med(s, 'ratioToCeiling'))} ${s.ceiling}`;
      const cpu = med(s, 'brokerMainThreadCpuPct') === undefined ? fixed(med(s, 'brokerCpuPct'), 0) : `${fixed(med(s, 'brokerCpuPct'), 0)}/${fixed(med(s, 'brokerMainThreadCpuPct'), 0)}`;
      return [s.name, mbCell(s), int(med(s, 'recordsPerSec')), ceil, latencyCell(s), cpu, rssCell(s), fixed(med(s, 'clientCpuPct'), 0)];
    });
  out.push(table(['scenario', 'MB/s', 'records/s', 'vs ceiling', 'latency p50 / p99 / p99.9 ms', 'broker CPU% all/loop', 'broker RSS MB', 'client CPU%'], rows, [false, true, true, true, true, true, true, true]));
  const partitions = r.scenarios.find((s) => s.kind === 'partitions');
  out.push('(broker CPU: whole process / main thread (event loop); 100 = one core. rtt = produce request round trip.)');
  if (r.scenarios.some((s) => s.kind === 'log')) {
    out.push('(log-* rows: the storage engine alone, in process (no broker, no network); CPU is this process\'s; append = one append (+ flush) call until written (durable).');
    out.push(' vs ceiling = share of the disk ceiling, a serial write+fdatasync loop: group commit overlaps writes with syncs, and page-cache writes, warm reads and warm recovery do not wait for the disk, so over 100% is possible)');
  }
  if (partitions) out.push('(partitions row RSS: idle empty / max under load / 3 s after load / after the idle settle time)');
  for (const s of r.scenarios) if (s.skipped !== null) out.push(`(${s.name} skipped: ${s.skipped})`);
  out.push('');
  const trows = r.targets.map((t) => [
    t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS',
    t.description,
    t.measured === null ? '-' : t.metric === 'ratioToCeiling' ? pct(t.measured) : t.measured >= 1000 ? int(t.measured) : fixed(t.measured, 2),
  ]);
  out.push(table(['', 'target', 'measured (median)'], trows, [false, false, true]));
  for (const [name, list] of Object.entries(r.profiles)) {
    const p = list[0];
    if (!p) continue;
    out.push('');
    out.push(`Hot spots (self time, broker busy ${p.busyMs} ms, idle ${p.idleMs} ms): ${name}`);
    for (const f of p.functions.slice(0, 10)) out.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}`);
    out.push('  charged to the nearest Krill function:');
    for (const f of p.krillFunctions.slice(0, 8)) out.push(`  ${f.selfPct.toFixed(1).padStart(5)}%  ${f.name}`);
  }
  if (!r.sanity.ok) {
    out.push('');
    out.push('Sanity problems:');
    for (const p of r.sanity.problems) out.push(`  - ${p}`);
  }
  for (const n of r.notes) out.push(`Note: ${n}`);
  return out.join('\n');
}
