/**
 * LogFlusher: a pipelined group commit per log (at most one fsync in flight
 * per log, requests made meanwhile get the next one) under a broker-wide
 * bound on concurrent fsyncs, with no barrier between logs.
 */
import { describe, expect, it } from 'vitest';
import { LogFlusher } from '../../../src/log/log-flusher.js';

/** Lets queued microtasks and promise reactions run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A fake fsync of one log whose rounds end when the test says so. */
class FakeSync {
  readonly events: string[];
  readonly #release: Array<(err?: Error) => void> = [];
  started = 0;
  running = 0;

  constructor(readonly name: string, events: string[] = []) {
    this.events = events;
  }

  readonly sync = (): Promise<void> => {
    const round = ++this.started;
    this.running++;
    this.events.push(`start ${this.name}${round}`);
    return new Promise<void>((resolve, reject) => {
      this.#release.push((err) => {
        this.running--;
        this.events.push(`end ${this.name}${round}`);
        if (err === undefined) resolve();
        else reject(err);
      });
    });
  };

  /** Ends the oldest running round. */
  finish(err?: Error): void {
    const release = this.#release.shift();
    if (release === undefined) throw new Error(`${this.name}: no fsync running`);
    release(err);
  }
}

function tracked(promise: Promise<void>): { state: () => 'pending' | 'resolved' | 'rejected'; promise: Promise<void> } {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return { state: () => state, promise };
}

describe('LogFlusher', () => {
  it('shares one fsync among the requests a log makes together', async () => {
    const flusher = new LogFlusher();
    const a = new FakeSync('a');
    const b = new FakeSync('b');
    const la = {};
    const lb = {};
    const all = [flusher.request(la, a.sync), flusher.request(la, a.sync), flusher.request(lb, b.sync), flusher.request(la, a.sync)];
    await settle();
    expect([a.started, b.started]).toEqual([1, 1]);
    a.finish();
    b.finish();
    await Promise.all(all);
    expect(flusher.requests).toBe(4);
    expect(flusher.syncs).toBe(2);
    expect(flusher.inFlight).toBe(0);
    expect(flusher.queued).toBe(0);
  });

  it('does not answer a request made during a running fsync of the same log with that fsync', async () => {
    const flusher = new LogFlusher();
    const a = new FakeSync('a');
    const log = {};
    const first = tracked(flusher.request(log, a.sync));
    await settle();
    expect(a.events).toEqual(['start a1']);
    const second = tracked(flusher.request(log, a.sync));
    const third = tracked(flusher.request(log, a.sync));
    await settle();
    expect(a.running).toBe(1); // never two fsyncs of one log at once
    a.finish();
    await first.promise;
    await settle();
    expect(second.state()).toBe('pending');
    expect(third.state()).toBe('pending');
    expect(a.events).toEqual(['start a1', 'end a1', 'start a2']); // the next fsync starts as soon as the first ended
    a.finish();
    await Promise.all([second.promise, third.promise]);
    expect(flusher.syncs).toBe(2);
  });

  it('joins a request to a fsync of the log that is queued but not begun', async () => {
    const flusher = new LogFlusher(1);
    const a = new FakeSync('a');
    const b = new FakeSync('b');
    const la = {};
    const lb = {};
    const pa = flusher.request(la, a.sync);
    const pb1 = flusher.request(lb, b.sync);
    await settle();
    expect(flusher.queued).toBe(1);
    const pb2 = flusher.request(lb, b.sync); // b waits for the slot: this request shares its fsync
    a.finish();
    await pa;
    await settle();
    b.finish();
    await Promise.all([pb1, pb2]);
    expect(b.started).toBe(1);
  });

  it('does not make a log wait for the slow fsync of another', async () => {
    const flusher = new LogFlusher();
    const slow = new FakeSync('a');
    const fast = new FakeSync('b');
    const la = {};
    const lb = {};
    const stuck = tracked(flusher.request(la, slow.sync));
    for (let round = 1; round <= 3; round++) {
      const p = flusher.request(lb, fast.sync);
      await settle();
      fast.finish();
      await p;
    }
    // b's requests made while a's fsync runs, and a's own next request, too
    const pending = tracked(flusher.request(la, slow.sync));
    const p = flusher.request(lb, fast.sync);
    await settle();
    fast.finish();
    await p;
    expect(fast.started).toBe(4);
    expect(stuck.state()).toBe('pending');
    expect(pending.state()).toBe('pending');
    expect(slow.started).toBe(1);
    slow.finish();
    await stuck.promise;
    await settle();
    slow.finish();
    await pending.promise;
  });

  it('keeps at most maxParallel fsyncs in flight and serves waiting logs in request order', async () => {
    const flusher = new LogFlusher(3);
    const events: string[] = [];
    const fakes = Array.from({ length: 8 }, (_, i) => new FakeSync(String.fromCharCode(97 + i), events));
    const logs = fakes.map(() => ({}));
    let peak = 0;
    const requests = fakes.map((f, i) =>
      flusher.request(logs[i] as object, async () => {
        const done = f.sync();
        peak = Math.max(peak, flusher.inFlight);
        await done;
      }),
    );
    await settle();
    expect(flusher.inFlight).toBe(3);
    expect(flusher.queued).toBe(5);
    expect(events).toEqual(['start a1', 'start b1', 'start c1']);
    // a asks again while running: it queues behind the logs already waiting
    const again = flusher.request(logs[0] as object, fakes[0]?.sync as () => Promise<void>);
    fakes[1]?.finish();
    await settle();
    expect(events.at(-1)).toBe('start d1');
    fakes[0]?.finish();
    await settle();
    expect(events.at(-1)).toBe('start e1');
    for (let i = 2; i < 8; i++) {
      fakes[i]?.finish();
      await settle();
      expect(flusher.inFlight).toBeLessThanOrEqual(3);
    }
    expect(events.filter((e) => e.startsWith('start'))).toEqual(['start a1', 'start b1', 'start c1', 'start d1', 'start e1', 'start f1', 'start g1', 'start h1', 'start a2']);
    fakes[0]?.finish();
    await Promise.all([...requests, again]);
    expect(peak).toBeLessThanOrEqual(3);
    expect(flusher.inFlight).toBe(0);
    expect(flusher.queued).toBe(0);
  });

  it('handles many logs at once under the bound', async () => {
    const flusher = new LogFlusher(16);
    let running = 0;
    let peak = 0;
    const sync = async (): Promise<void> => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running--;
    };
    const logs = Array.from({ length: 2000 }, () => ({}));
    await Promise.all(logs.flatMap((log) => [flusher.request(log, sync), flusher.request(log, sync)]));
    expect(peak).toBe(16);
    expect(flusher.syncs).toBe(2000);
    expect(flusher.queued).toBe(0);
  });

  it('fails only the waiters of the fsync that failed', async () => {
    const flusher = new LogFlusher();
    const a = new FakeSync('a');
    const b = new FakeSync('b');
    const la = {};
    const lb = {};
    const bad = tracked(flusher.request(la, a.sync));
    const good = tracked(flusher.request(lb, b.sync));
    await settle();
    const later = tracked(flusher.request(la, a.sync)); // collected during the failing fsync
    a.finish(new Error('EIO'));
    await expect(bad.promise).rejects.toThrow('EIO');
    await settle();
    expect(good.state()).toBe('pending');
    expect(later.state()).toBe('pending');
    expect(a.started).toBe(2); // the collected request gets its own fsync
    a.finish();
    b.finish();
    await expect(later.promise).resolves.toBeUndefined();
    await expect(good.promise).resolves.toBeUndefined();
    expect(flusher.failures).toBe(1);
    const thrown = flusher.request({}, () => {
      throw new Error('sync threw');
    });
    await expect(thrown).rejects.toThrow('sync threw');
    expect(flusher.inFlight).toBe(0);
  });

  it('rejects a parallelism below 1', () => {
    expect(() => new LogFlusher(0)).toThrow(RangeError);
  });
});
