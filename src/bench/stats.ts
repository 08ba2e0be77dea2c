/**
 * Figures over repeats: every figure in the report is a Summary (min,
 * median, max and the raw values), so noise on a shared machine shows.
 */
export interface Summary {
  min: number;
  median: number;
  max: number;
  values: number[];
}

export function summarize(values: readonly number[]): Summary | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  const sorted = [...v].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1], values: v.map(round) };
}

/** Rounds to 4 significant digits (keeps the JSON readable). */
export function round(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const digits = Math.max(0, 3 - Math.floor(Math.log10(Math.abs(x))));
  return Number(x.toFixed(Math.min(digits, 6)));
}

/** Decimal megabytes per second. */
export const mbPerSec = (bytes: number, ms: number): number => (ms > 0 ? bytes / 1e6 / (ms / 1000) : 0);
export const perSec = (n: number, ms: number): number => (ms > 0 ? n / (ms / 1000) : 0);
