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

export interface CpuTimes {
  userSec: number;
  sysSec: number;
}

/** User and system CPU time from a stat file (process or thread), or null. */
function cpuTimes(statPath: string): CpuTimes | null {
  try {
    const stat = readFileSync(statPath, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces; fields after it start at 3 (state).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const hz = ticksPerSecond();
    return { userSec: Number(rest[14 - 3]) / hz, sysSec: Number(rest[15 - 3]) / hz };
  } catch {
    return null;
  }
}

/** User + system CPU time of the whole process in seconds, or null. */
export function cpuSeconds(pid: number): number | null {
  const t = cpuTimes(`/proc/${pid}/stat`);
  return t === null ? null : t.userSec + t.sysSec;
}

/** Involuntary context switches of the process's main thread (it was preempted), or null. */
function preemptions(pid: number): number | null {
  try {
    const m = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

interface CpuSnapshot {
  process: CpuTimes | null;
  /** The main thread: the event loop (the rest is the libuv thread pool, GC and compiler threads). */
  main: CpuTimes | null;
  preemptions: number | null;
  t: number;
}

function snapshot(pid: number): CpuSnapshot {
  return { process: cpuTimes(`/proc/${pid}/stat`), main: cpuTimes(`/proc/${pid}/task/${pid}/stat`), preemptions: preemptions(pid), t: performance.now() };
}

export interface ProcWindow {
  /** Average CPU over the window, percent of one core. */
  cpuPct: number | null;
  /** The system (kernel) part of cpuPct. */
  sysCpuPct?: number | null;
  /** CPU of the main thread (the event loop) alone, percent of one core. */
  mainThreadCpuPct?: number | null;
  /** Times per second the main thread was preempted (nonvoluntary context switches). */
  mainPreemptionsPerSec?: number | null;
  rssMaxMB: number | null;
  rssAvgMB: number | null;
  rssEndMB: number | null;
}

const MB = 1024 * 1024;

export class ProcSampler {
  private timer: NodeJS.Timeout | null = null;
  private samples: number[] = [];
  private cpu0: CpuSnapshot | null = null;

  constructor(
    private readonly pid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    this.samples = [];
    this.cpu0 = snapshot(this.pid);
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
    const a = this.cpu0;
    const b = snapshot(this.pid);
    const seconds = a === null ? 0 : (b.t - a.t) / 1000;
    const pct = (x: number | null): number | null => (x === null || seconds <= 0 ? null : (x / seconds) * 100);
    const both = <T>(f: (s: CpuSnapshot) => T | null): [T, T] | null => {
      const x = a === null ? null : f(a);
      const y = f(b);
      return x === null || y === null ? null : [x, y];
    };
    const proc = both((s) => s.process);
    const main = both((s) => s.main);
    const pre = both((s) => s.preemptions);
    const s = this.samples;
    return {
      cpuPct: pct(proc && proc[1].userSec + proc[1].sysSec - proc[0].userSec - proc[0].sysSec),
      sysCpuPct: pct(proc && proc[1].sysSec - proc[0].sysSec),
      mainThreadCpuPct: pct(main && main[1].userSec + main[1].sysSec - main[0].userSec - main[0].sysSec),
      mainPreemptionsPerSec: pre === null || seconds <= 0 ? null : (pre[1] - pre[0]) / seconds,
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
