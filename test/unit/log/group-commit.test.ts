import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/log/group-commit.js';
import { SerialQueue } from '../../../src/log/serial-queue.js';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('GroupCommit', () => {
  it('shares one run among callers and queues late callers on exactly one next run', async () => {
    const gates: Array<ReturnType<typeof deferred>> = [];
    const gc = new GroupCommit(() => {
      const d = deferred();
      gates.push(d);
      return d.promise;
    });
    const first = gc.run();
    expect(gc.runs).toBe(1);
    const late = Array.from({ length: 50 }, () => gc.run());
    expect(gc.runs).toBe(1); // waiting for the in-flight one to end
    expect(new Set(late).size).toBe(1);
    gates[0]?.resolve();
    await first;
    await tick();
    expect(gc.runs).toBe(2);
    const settled = { done: false };
    void late[0]?.then(() => (settled.done = true));
    await tick();
    expect(settled.done).toBe(false); // the second run has not finished
    gates[1]?.resolve();
    await Promise.all(late);
    expect(gc.runs).toBe(2);
    // Idle again: the next caller starts a run at once.
    const again = gc.run();
    expect(gc.runs).toBe(3);
    gates[2]?.resolve();
    await again;
  }, 5000);

  it('starts the next run even when the in-flight one failed', async () => {
    let calls = 0;
    const gc = new GroupCommit(async () => {
      calls++;
      if (calls === 1) throw new Error('boom');
    });
    const a = gc.run();
    const b = gc.run();
    await expect(a).rejects.toThrow('boom');
    await expect(b).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});

describe('SerialQueue', () => {
  it('runs tasks one at a time in order and isolates failures', async () => {
    const q = new SerialQueue();
    const log: string[] = [];
    let running = 0;
    const task = (name: string, fail = false) => async () => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 1));
      log.push(name);
      running--;
      if (fail) throw new Error(name);
      return name;
    };
    const results = await Promise.allSettled([q.run(task('a')), q.run(task('b', true)), q.run(task('c'))]);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(q.pending).toBe(0);
  });
});
