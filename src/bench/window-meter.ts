/**
 * Counts what a worker achieves inside the measured window (epoch ms
 * [startMs, endMs)), the worker's own CPU time over that window, errors,
 * and sends cumulative progress to the orchestrator twice a second.
 */
import type { HistogramData } from './histogram.js';
import type { WorkerResult } from './types.js';

export type ProgressSink = (records: number, bytes: number) => void;

const PROGRESS_EVERY_MS = 500;

export class WindowMeter {
  records = 0;
  bytes = 0;
  errors = 0;
  private firstError: string | undefined;
  private totalRecords = 0;
  private totalBytes = 0;
  private cpuStart: NodeJS.CpuUsage | null = null;
  private cpuMs: number | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private closedAt: number | null = null;

  constructor(
    private readonly startMs: number,
    private endMs: number,
    private readonly progress: ProgressSink,
  ) {
    const now = Date.now();
    if (startMs <= now) this.cpuStart = process.cpuUsage();
    else this.timers.push(setTimeout(() => (this.cpuStart = process.cpuUsage()), startMs - now));
    if (Number.isFinite(endMs)) this.timers.push(setTimeout(() => this.stopCpu(), Math.max(0, endMs - now)));
    const tick = setInterval(() => this.progress(this.totalRecords, this.totalBytes), PROGRESS_EVERY_MS);
    tick.unref();
    this.timers.push(tick);
  }

  /** Accounts a completed unit of work at nowMs; true when it fell inside the window. */
  add(nowMs: number, records: number, bytes: number): boolean {
    this.totalRecords += records;
    this.totalBytes += bytes;
    if (nowMs < this.startMs || nowMs >= this.endMs) return false;
    this.records += records;
    this.bytes += bytes;
    return true;
  }

  /** Everything accounted, in the window or not. */
  get total(): { records: number; bytes: number } {
    return { records: this.totalRecords, bytes: this.totalBytes };
  }

  error(message: string): void {
    this.errors++;
    this.firstError ??= message;
  }

  /** Ends an open-ended window now (work that finishes by itself). */
  close(nowMs = Date.now()): void {
    if (this.closedAt !== null) return;
    this.closedAt = nowMs;
    if (nowMs < this.endMs) this.endMs = nowMs;
    this.stopCpu();
  }

  private stopCpu(): void {
    if (this.cpuMs !== null) return;
    const start = this.cpuStart ?? process.cpuUsage();
    const d = process.cpuUsage(start);
    this.cpuMs = (d.user + d.system) / 1000;
  }

  result(more: { latency?: HistogramData; extra?: Record<string, number> } = {}): WorkerResult {
    for (const t of this.timers) clearTimeout(t);
    this.stopCpu();
    this.progress(this.totalRecords, this.totalBytes);
    return {
      records: this.records,
      bytes: this.bytes,
      elapsedMs: Math.max(0, this.endMs - this.startMs),
      errors: this.errors,
      firstError: this.firstError,
      latency: more.latency,
      cpuMs: this.cpuMs ?? 0,
      extra: more.extra,
    };
  }
}
