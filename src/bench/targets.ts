/**
 * The targets for this machine, checked against the medians of the
 * run. A target whose scenario did not run (or was filtered out) is
 * reported with measured = null and pass = null.
 */
import type { Summary } from './stats.js';

export interface ScenarioSummary {
  name: string;
  summary: Record<string, Summary>;
}

export interface TargetResult {
  id: string;
  description: string;
  scenario: string;
  metric: string;
  op: '>=' | '<';
  threshold: number;
  measured: number | null;
  pass: boolean | null;
}

interface TargetDef {
  id: string;
  description: string;
  scenario: (names: string[]) => string | undefined;
  metric: string;
  op: '>=' | '<';
  threshold: number;
}

const exact = (n: string) => (names: string[]): string | undefined => names.find((x) => x === n);

const DEFS: TargetDef[] = [
  { id: 'produce-1KiB-acks1-vs-loopback', description: 'acks=1, 1 KiB records: >= 50% of the loopback ceiling', scenario: exact('produce-1KiB-acks1'), metric: 'ratioToCeiling', op: '>=', threshold: 0.5 },
  { id: 'produce-1KiB-acksall-fsync-vs-disk', description: 'acks=all with fsync, 1 KiB records: >= 70% of the disk ceiling', scenario: exact('produce-1KiB-acksall-fsync'), metric: 'ratioToCeiling', op: '>=', threshold: 0.7 },
  { id: 'produce-100B-records-per-sec', description: '100-byte records: >= 500,000 records/s produce (acks=1)', scenario: exact('produce-100B-acks1'), metric: 'recordsPerSec', op: '>=', threshold: 500_000 },
  { id: 'consume-100B-warm-records-per-sec', description: '100-byte records: >= 1,000,000 records/s consume (warm log)', scenario: exact('consume-100B-warm'), metric: 'recordsPerSec', op: '>=', threshold: 1_000_000 },
  { id: 'consume-100B-cold-records-per-sec', description: '100-byte records: >= 1,000,000 records/s consume (cold log)', scenario: exact('consume-100B-cold'), metric: 'recordsPerSec', op: '>=', threshold: 1_000_000 },
  { id: 'e2e-10k-p99', description: 'end-to-end p99 < 5 ms at 10,000 records/s of 1 KiB', scenario: exact('e2e-1KiB-10k'), metric: 'e2eP99Ms', op: '<', threshold: 5 },
  { id: 'idle-partitions-rss-empty', description: 'broker RSS < 200 MB with 1,000 idle partitions (just created)', scenario: (n) => n.find((x) => x.startsWith('partitions-1000x')), metric: 'rssIdleEmptyMB', op: '<', threshold: 200 },
  { id: 'idle-partitions-rss-after-load', description: 'broker RSS < 200 MB with 1,000 idle partitions (3 s after writing to all)', scenario: (n) => n.find((x) => x.startsWith('partitions-1000x')), metric: 'rssIdleAfterLoadMB', op: '<', threshold: 200 },
  { id: 'idle-partitions-rss-settled', description: 'broker RSS < 200 MB with 1,000 idle partitions (after --idle-settle seconds idle, default 45, after writing to all)', scenario: (n) => n.find((x) => x.startsWith('partitions-1000x')), metric: 'rssSettledAfterLoadMB', op: '<', threshold: 200 },
];

export function evaluateTargets(scenarios: ScenarioSummary[]): TargetResult[] {
  const names = scenarios.map((s) => s.name);
  return DEFS.map((d) => {
    const name = d.scenario(names);
    const measured = name === undefined ? null : (scenarios.find((s) => s.name === name)?.summary[d.metric]?.median ?? null);
    const pass = measured === null ? null : d.op === '>=' ? measured >= d.threshold : measured < d.threshold;
    return { id: d.id, description: d.description, scenario: name ?? '(not run)', metric: d.metric, op: d.op, threshold: d.threshold, measured, pass };
  });
}
