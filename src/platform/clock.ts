/**
 * Time behind a small interface, so the Raft driver, broker sessions and
 * other timed code can run under a simulated clock in tests.
 *
 * `systemClock()` reads the wall clock and uses Node's timers; timers it
 * creates are unref'd, so they never keep a process alive on their own.
 * `manualClock()` only moves when told to (`advance`), running due timers in
 * deadline order: deterministic and instant.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (wall clock) or since the start of a simulation. */
  now(): number;
  /** Runs fn once after ms. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Runs fn every ms until cancelled. */
  setInterval(fn: () => void, ms: number): TimerHandle;
}

export function systemClock(): Clock {
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms));
      t.unref();
      return { cancel: () => clearTimeout(t) };
    },
    setInterval(fn, ms) {
      const t = setInterval(fn, Math.max(1, ms));
      t.unref();
      return { cancel: () => clearInterval(t) };
    },
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  every: number;
  fn: () => void;
  cancelled: boolean;
}

export interface ManualClock extends Clock {
  /** Moves time forward by ms, running every timer that falls due, in order. */
  advance(ms: number): void;
}

/** A clock that only moves when `advance` is called. */
export function manualClock(start = 0): ManualClock {
  let now = start;
  let seq = 0;
  const timers: ManualTimer[] = [];
  const add = (fn: () => void, ms: number, every: number): TimerHandle => {
    const t: ManualTimer = { at: now + Math.max(0, ms), seq: seq++, every, fn, cancelled: false };
    timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  };
  return {
    now: () => now,
    setTimeout: (fn, ms) => add(fn, ms, 0),
    setInterval: (fn, ms) => add(fn, Math.max(1, ms), Math.max(1, ms)),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        let next: ManualTimer | undefined;
        for (const t of timers) {
          if (t.cancelled || t.at > end) continue;
          if (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq)) next = t;
        }
        if (!next) break;
        now = next.at;
        if (next.every > 0) {
          next.at += next.every;
          next.seq = seq++;
        } else {
          next.cancelled = true;
        }
        next.fn();
        for (let i = timers.length - 1; i >= 0; i--) if (timers[i]!.cancelled) timers.splice(i, 1);
      }
      now = end;
    },
  };
}
