import { describe, expect, it } from 'vitest';
import { RequestPipeline, type Outcome, type PipelineJob } from '../../../src/server/request-pipeline.js';

interface Controlled {
  job: PipelineJob;
  started: boolean;
  sequence(): void;
  finish(o?: Outcome): void;
}

/** A job whose sequencing and completion the test drives. */
function controlled(name: string, pipelined: boolean, log: string[]): Controlled {
  let seq: () => void = () => undefined;
  let done: (o: Outcome) => void = () => undefined;
  const c: Controlled = {
    started: false,
    job: {
      pipelined,
      run(sequenced) {
        c.started = true;
        log.push(`start ${name}`);
        seq = sequenced;
        return new Promise<Outcome>((resolve) => (done = resolve));
      },
    },
    sequence: () => seq(),
    finish: (o = response(name)) => done(o),
  };
  return c;
}

function response(name: string): Outcome {
  return { kind: 'response', chunks: [Buffer.from(name)] };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function collector(): { log: string[]; deliver: (o: Outcome) => void } {
  const log: string[] = [];
  return {
    log,
    deliver: (o) => log.push(o.kind === 'response' ? `out ${o.chunks[0].toString()}` : o.kind === 'close' ? `close ${o.reason}` : 'none'),
  };
}

describe('RequestPipeline', () => {
  it('runs non-pipelined requests one at a time and answers in order', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    const a = controlled('a', false, log);
    const b = controlled('b', false, log);
    p.push(a.job);
    p.push(b.job);
    expect(b.started).toBe(false);
    a.sequence(); // a non-pipelined successor still waits for a to finish
    expect(b.started).toBe(false);
    a.finish();
    await tick();
    expect(b.started).toBe(true);
    b.finish();
    await tick();
    expect(log.filter((l) => l.startsWith('out'))).toEqual(['out a', 'out b']);
    expect(log.indexOf('out a')).toBeLessThan(log.indexOf('start b'));
  });

  it('starts a pipelined request once the previous one is sequenced, and keeps response order', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    const jobs = ['p1', 'p2', 'p3'].map((n) => controlled(n, true, log));
    for (const j of jobs) p.push(j.job);
    expect(jobs.map((j) => j.started)).toEqual([true, false, false]);
    jobs[0].sequence();
    expect(jobs.map((j) => j.started)).toEqual([true, true, false]);
    jobs[1].sequence();
    expect(jobs.map((j) => j.started)).toEqual([true, true, true]);
    expect(p.running).toBe(3);
    // Finish out of order: nothing is delivered until the first is done.
    jobs[2].finish();
    jobs[1].finish();
    await tick();
    expect(log.filter((l) => l.startsWith('out'))).toEqual([]);
    jobs[0].finish();
    await tick();
    expect(log.filter((l) => l.startsWith('out'))).toEqual(['out p1', 'out p2', 'out p3']);
    expect(p.size).toBe(0);
  });

  it('runs a non-pipelined request after pipelined ones only when all are done', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    const prod = controlled('produce', true, log);
    const fetch = controlled('fetch', false, log);
    p.push(prod.job);
    p.push(fetch.job);
    prod.sequence();
    expect(fetch.started).toBe(false);
    prod.finish();
    await tick();
    expect(fetch.started).toBe(true);
  });

  it('does not start a pipelined request after an unsequenced non-pipelined one', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    const slow = controlled('slow', false, log);
    const prod = controlled('produce', true, log);
    p.push(slow.job);
    p.push(prod.job);
    expect(prod.started).toBe(false);
    slow.finish();
    await tick();
    expect(prod.started).toBe(true);
  });

  it('handles synchronous outcomes and sequencing inside run', () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    for (let i = 0; i < 3; i++) p.push({ pipelined: false, run: () => response(`s${i}`) });
    const syncSeq: PipelineJob = {
      pipelined: true,
      run: (sequenced) => {
        sequenced();
        sequenced(); // idempotent
        return new Promise<Outcome>(() => undefined);
      },
    };
    p.push(syncSeq);
    p.push(syncSeq);
    expect(log).toEqual(['out s0', 'out s1', 'out s2']);
    expect(p.running).toBe(2);
  });

  it('a close outcome delivers what came before and stops everything after', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    const a = controlled('a', true, log);
    const b = controlled('b', true, log);
    const c = controlled('c', true, log);
    p.push(a.job);
    a.sequence();
    p.push(b.job);
    b.sequence();
    p.push(c.job);
    b.finish({ kind: 'close', reason: 'bad' });
    c.finish();
    a.finish();
    await tick();
    expect(log.filter((l) => !l.startsWith('start'))).toEqual(['out a', 'close bad']);
    p.push(controlled('d', false, log).job);
    expect(log).not.toContain('start d');
  });

  it('turns a throwing or rejecting job into a close', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver);
    p.push({ pipelined: false, run: () => Promise.reject(new Error('boom')) });
    await tick();
    expect(log).toEqual(['close request failed: boom']);
    const q = new RequestPipeline(collector().deliver);
    expect(() =>
      q.push({
        pipelined: false,
        run: () => {
          throw new Error('sync');
        },
      }),
    ).not.toThrow();
  });

  it('waits for start() when created closed', async () => {
    const { log, deliver } = collector();
    const p = new RequestPipeline(deliver, false);
    p.push({ pipelined: false, run: () => response('x') });
    expect(log).toEqual([]);
    expect(p.size).toBe(1);
    p.start();
    expect(log).toEqual(['out x']);
  });
});
