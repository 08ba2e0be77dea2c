/** The coarse timer wheel and the delayed-operation purgatory. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimerWheel } from '../../../src/replication/timer-wheel.js';
import { Purgatory } from '../../../src/replication/delayed-ops.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('TimerWheel', () => {
  it('fires no earlier than asked, at most a tick late, and only once', () => {
    vi.useFakeTimers();
    const w = new TimerWheel({ tickMs: 10, slots: 8 });
    const fired: number[] = [];
    const start = Date.now();
    w.schedule(35, () => fired.push(Date.now() - start));
    w.schedule(0, () => fired.push(-1));
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([-1]);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([-1]);
    vi.advanceTimersByTime(20);
    expect(fired.length).toBe(2);
    expect(fired[1]).toBeGreaterThanOrEqual(35);
    expect(fired[1]).toBeLessThanOrEqual(50);
    expect(w.pending).toBe(0);
  });

  it('handles deadlines beyond one turn of the wheel', () => {
    vi.useFakeTimers();
    const w = new TimerWheel({ tickMs: 10, slots: 4 });
    let fired = 0;
    w.schedule(95, () => fired++);
    vi.advanceTimersByTime(80);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(30);
    expect(fired).toBe(1);
  });

  it('cancel prevents the call and stops the timer when nothing is left', () => {
    vi.useFakeTimers();
    const w = new TimerWheel({ tickMs: 10 });
    let fired = 0;
    const cancel = w.schedule(20, () => fired++);
    cancel();
    vi.advanceTimersByTime(100);
    expect(fired).toBe(0);
    expect(w.pending).toBe(0);
  });
});

describe('Purgatory', () => {
  it('completes on check, expires at the deadline, never both', () => {
    vi.useFakeTimers();
    const p = new Purgatory(new TimerWheel({ tickMs: 10 }));
    const key = {};
    let ready = false;
    const events: string[] = [];
    const op = (name: string) => ({
      tryComplete: () => {
        if (!ready) return false;
        events.push(`${name} done`);
        return true;
      },
      onExpire: () => events.push(`${name} expired`),
    });
    p.tryCompleteElseWatch(op('a'), [key], 50);
    p.tryCompleteElseWatch(op('b'), [key], 500);
    expect(p.watching(key)).toBe(2);
    vi.advanceTimersByTime(70);
    expect(events).toEqual(['a expired']);
    ready = true;
    expect(p.checkAndComplete(key)).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(events).toEqual(['a expired', 'b done']);
    expect(p.watching(key)).toBe(0);
  });

  it('completes at once when it can', () => {
    const p = new Purgatory(new TimerWheel());
    let n = 0;
    p.tryCompleteElseWatch({ tryComplete: () => ++n > 0, onExpire: () => undefined }, [{}], 10);
    expect(n).toBe(1);
  });
});
