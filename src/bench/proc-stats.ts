/**
 * Resource use of another process from /proc (Linux): resident memory
 * (VmRSS in /proc/<pid>/status) and CPU time (utime + stime in
 * /proc/<pid>/stat, in clock ticks). A sampler reads RSS every 100 ms over a
 * window and CPU time at its two ends. Elsewhere the figures are absent
 * (reported as null), never guessed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clockTicks: number | null = null;

/** Clock ticks per second (getconf CLK_TCK; 100 when it cannot be asked). */
export function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** Resident set size in bytes, or null when /proc cannot be read. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU time in seconds, or null. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; fields after it start at 3 (state).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(rest[14 - 3]);
    const stime = Number(rest[15 - 3]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return null;
  }
}

export interface ProcWindow {
  /** Average CPU over the window, percent of one core. */
  cpuPct: number | null;
  rssMaxMB: number | null;
  rssAvgMB: number | null;
  rssEndMB: number | null;
}

const MB = 1024 * 1024;

export class ProcSampler {
  private timer: NodeJS.Timeout | null = null;
  private samples: number[] = [];
  private cpu0: number | null = null;
  private t0 = 0;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.samples = [];
    this.cpu0 = cpuSeconds(this.pid);
    this.t0 = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  private sample(): void {
    const rss = rssBytes(this.pid);
    if (rss !== null) this.samples.push(rss);
  }

  stop(): ProcWindow {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
    const cpu1 = cpuSeconds(this.pid);
    const seconds = (performance.now() - this.t0) / 1000;
    const s = this.samples;
    return {
      cpuPct: this.cpu0 !== null && cpu1 !== null && seconds > 0 ? ((cpu1 - this.cpu0) / seconds) * 100 : null,
      rssMaxMB: s.length ? Math.max(...s) / MB : null,
      rssAvgMB: s.length ? s.reduce((a, b) => a + b, 0) / s.length / MB : null,
      rssEndMB: s.length ? s[s.length - 1] / MB : null,
    };
  }

  /** Samples over [startMs, endMs) (epoch ms); resolves at endMs. */
  static window(pid: number, startMs: number, endMs: number): Promise<ProcWindow> {
    const sampler = new ProcSampler(pid);
    return new Promise((resolve) => {
      setTimeout(() => {
        sampler.start();
        setTimeout(() => resolve(sampler.stop()), Math.max(0, endMs - Math.max(startMs, Date.now())));
      }, Math.max(0, startMs - Date.now()));
    });
  }
}
