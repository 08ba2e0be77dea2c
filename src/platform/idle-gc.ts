/**
 * Idle-time garbage collection for the `krill start` process: once the
 * process goes quiet after a busy spell, one full GC runs, so buffers that
 * became garbage at the end of the load (request frames, read windows) are
 * freed and their memory handed back instead of waiting for the next
 * allocation-driven collection, which an idle broker never reaches. The
 * JVM's G1 does the same for Kafka brokers (periodic GC when idle, JEP 346).
 *
 * Embedded nodes (startKrill in a user's test suite) never force a GC: the
 * heap is the user's. `krill.idle.gc.interval.ms` (0 disables) sets how
 * often the process looks; it collects only after an interval in which it
 * used under `IDLE_CPU_FRACTION` of one core, and only once per quiet spell.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Clock, TimerHandle } from './clock.js';

/** Below this share of one core over an interval, the process counts as idle. */
export const IDLE_CPU_FRACTION = 0.05;

/** The decision, apart from timers and the process: feed it one CPU sample per interval. */
export class IdleGcPolicy {
  #busySinceCollect = false;

  /** cpuMs used during an interval of intervalMs; true when a GC should run now. */
  sample(cpuMs: number, intervalMs: number): boolean {
    if (intervalMs <= 0) return false;
    if (cpuMs / intervalMs >= IDLE_CPU_FRACTION) {
      this.#busySinceCollect = true;
      return false;
    }
    if (!this.#busySinceCollect) return false;
    this.#busySinceCollect = false;
    return true;
  }
}

/**
 * V8's full collection: the `gc` global when the process runs with
 * --expose-gc, else the flag is turned on and the function taken from a
 * fresh context. null when neither works.
 */
export function loadGc(): (() => void) | null {
  const existing = (globalThis as { gc?: unknown }).gc;
  if (typeof existing === 'function') return existing as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

export interface IdleGcOptions {
  readonly intervalMs: number;
  readonly clock: Clock;
  /** CPU milliseconds this process has used so far (user + system). */
  readonly cpuMs?: () => number;
  readonly gc?: (() => void) | null;
  /** Called after each forced collection with how long it took. */
  readonly onCollect?: (ms: number) => void;
}

/** Starts the idle check; returns its stop function (a no-op when disabled or no gc is available). */
export function startIdleGc(opts: IdleGcOptions): () => void {
  const gc = opts.gc === undefined ? loadGc() : opts.gc;
  if (opts.intervalMs <= 0 || gc === null) return () => undefined;
  const cpuMs =
    opts.cpuMs ??
    ((): number => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    });
  const policy = new IdleGcPolicy();
  let last = cpuMs();
  const timer: TimerHandle = opts.clock.setInterval(() => {
    const now = cpuMs();
    const used = now - last;
    if (policy.sample(used, opts.intervalMs)) {
      const t0 = performance.now();
      gc();
      opts.onCollect?.(performance.now() - t0);
      last = cpuMs(); // the collection's own CPU is not load
    } else {
      last = now;
    }
  }, opts.intervalMs);
  return () => timer.cancel();
}
