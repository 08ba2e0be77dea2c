/**
 * Idle-time GC: the policy collects once after a busy spell turns quiet,
 * never while busy and never twice in one quiet spell; the timer driver
 * feeds it CPU per interval; loadGc finds V8's collector in this process.
 */
import { describe, expect, it } from 'vitest';
import { IdleGcPolicy, loadGc, startIdleGc } from '../../src/platform/idle-gc.js';
import { manualClock } from '../../src/platform/clock.js';

describe('IdleGcPolicy', () => {
  it('collects once when a busy spell turns idle, then waits for the next busy spell', () => {
    const p = new IdleGcPolicy();
    const interval = 1000;
    expect(p.sample(0, interval)).toBe(false); // idle from the start: nothing to collect
    expect(p.sample(400, interval)).toBe(false); // busy
    expect(p.sample(900, interval)).toBe(false); // busy
    expect(p.sample(10, interval)).toBe(true); // quiet after busy: collect
    expect(p.sample(0, interval)).toBe(false); // still quiet: not again
    expect(p.sample(0, interval)).toBe(false);
    expect(p.sample(49, interval)).toBe(false); // 4.9% of a core is idle
    expect(p.sample(50, interval)).toBe(false); // 5% is busy
    expect(p.sample(0, interval)).toBe(true);
  });

  it('never collects with a zero interval', () => {
    const p = new IdleGcPolicy();
    expect(p.sample(100, 0)).toBe(false);
    expect(p.sample(0, 0)).toBe(false);
  });
});

describe('startIdleGc', () => {
  it('runs the collector after a busy interval is followed by an idle one, and stops', () => {
    const clock = manualClock();
    let cpu = 0;
    const collected: number[] = [];
    const stop = startIdleGc({ intervalMs: 1000, clock, cpuMs: () => cpu, gc: () => collected.push(clock.now()) });
    cpu += 500;
    clock.advance(1000); // busy
    expect(collected).toHaveLength(0);
    cpu += 1;
    clock.advance(1000); // idle after busy
    expect(collected).toHaveLength(1);
    clock.advance(5000); // idle, no new activity
    expect(collected).toHaveLength(1);
    cpu += 300;
    clock.advance(1000);
    clock.advance(1000);
    expect(collected).toHaveLength(2);
    stop();
    cpu += 300;
    clock.advance(1000);
    clock.advance(1000);
    expect(collected).toHaveLength(2);
  });

  it('is off with interval 0 or without a collector', () => {
    const clock = manualClock();
    let calls = 0;
    let cpu = 0;
    startIdleGc({ intervalMs: 0, clock, cpuMs: () => cpu, gc: () => calls++ });
    startIdleGc({ intervalMs: 1000, clock, cpuMs: () => cpu, gc: null });
    cpu += 900;
    clock.advance(1000);
    clock.advance(1000);
    expect(calls).toBe(0);
  });
});

describe('loadGc', () => {
  it('returns a working full-GC function in a process started without --expose-gc', () => {
    const gc = loadGc();
    expect(typeof gc).toBe('function');
    expect(() => gc!()).not.toThrow();
  });
});
