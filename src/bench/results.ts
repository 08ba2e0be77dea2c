/**
 * What a scenario hands to the report: its parameters and one Metrics per
 * repeat. Summaries (min/median/max) and ratios are computed in report.ts.
 */
import { loadavg } from 'node:os';
import type { Metrics } from './run-context.js';

export type ScenarioKind = 'ceiling' | 'log' | 'produce' | 'consume' | 'latency' | 'partitions' | 'reference';
export type CeilingName = 'loopback' | 'disk';

export interface ScenarioResult {
  name: string;
  kind: ScenarioKind;
  description: string;
  params: Record<string, string | number | boolean>;
  /** The ceiling this scenario's MB/s is compared with. */
  ceiling: CeilingName | null;
  repeats: Metrics[];
  errors: string[];
  skipped: string | null;
}

export function newResult(name: string, kind: ScenarioKind, description: string, params: ScenarioResult['params'], ceiling: CeilingName | null): ScenarioResult {
  return { name, kind, description, params, ceiling, repeats: [], errors: [], skipped: null };
}

/** 100 -> "100B", 1024 -> "1KiB". */
export function sizeLabel(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}KiB`;
  return `${bytes}B`;
}

/** 10000 -> "10k". */
export function rateLabel(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/** Adds one repeat's figures, with the machine's load average at that moment. */
export function addRepeat(r: ScenarioResult, m: Metrics): Metrics {
  const withLoad = { ...m, loadAvg1m: loadavg()[0] };
  r.repeats.push(withLoad);
  return withLoad;
}
