/**
 * Per-connection request ordering: which request may start when, and
 * responses delivered strictly in request order.
 *
 * Every request has two moments: it is *sequenced* when its effects are
 * ordered against later requests (Produce: its appends are queued in the log
 * and their offsets assigned), and *done* when its outcome (response bytes,
 * no response, or close) is known. A request that does not say otherwise is
 * sequenced only when done.
 *
 * Start rule: request n+1 starts when every earlier request is sequenced
 * and, unless n+1 is `pipelined`, done. So a run of Produce requests
 * overlaps (each starting once the previous one's appends are queued),
 * while anything else, and anything after a non-pipelined request, runs one
 * at a time as before: a Fetch after a Produce still starts only once that
 * Produce has finished (read-your-writes on one connection).
 *
 * Outcomes are handed to `deliver` in request order, each as soon as it and
 * all before it are done. A 'close' outcome stops the pipeline: nothing
 * later starts or is delivered. Sans-I/O: no sockets, no timers.
 */

export type Outcome =
  | { readonly kind: 'response'; readonly chunks: Buffer[] }
  | { readonly kind: 'none' }
  | { readonly kind: 'close'; readonly reason: string };

export interface PipelineJob {
  /** May start before earlier requests are done, once they are sequenced. */
  readonly pipelined: boolean;
  /**
   * Runs the request. `sequenced` may be called at the request's ordering
   * point (idempotent); finishing implies it. Must not throw: failures are
   * a 'close' outcome.
   */
  run(sequenced: () => void): Promise<Outcome> | Outcome;
}

interface Slot {
  sequenced: boolean;
  outcome: Outcome | null;
}

export class RequestPipeline {
  private readonly waiting: PipelineJob[] = [];
  /** Started requests whose outcome is not yet delivered, in request order. */
  private readonly started: Slot[] = [];
  private unsequenced = 0;
  private unfinished = 0;
  private pumping = false;
  private open: boolean;
  private stopped = false;

  /**
   * @param deliver receives outcomes in request order
   * @param open whether requests may start now (else after open())
   */
  constructor(
    private readonly deliver: (o: Outcome) => void,
    open = true,
  ) {
    this.open = open;
  }

  /** Requests queued or started whose outcome is not yet delivered. */
  get size(): number {
    return this.waiting.length + this.started.length;
  }

  /** Started requests not yet done (for tests and metrics). */
  get running(): number {
    return this.unfinished;
  }

  push(job: PipelineJob): void {
    if (this.stopped) return;
    this.waiting.push(job);
    this.pump();
  }

  /** Lets requests start (the broker became ready). */
  start(): void {
    this.open = true;
    this.pump();
  }

  /** Drops queued requests and stops delivering; started handlers run on, unheard. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    this.started.length = 0;
  }

  private pump(): void {
    if (this.pumping) return; // the loop below re-checks after the nested change
    this.pumping = true;
    try {
      while (this.open && !this.stopped && this.waiting.length > 0) {
        if (this.unsequenced > 0) break;
        if (this.unfinished > 0 && !this.waiting[0].pipelined) break;
        this.run(this.waiting.shift()!);
      }
    } finally {
      this.pumping = false;
    }
  }

  private run(job: PipelineJob): void {
    const slot: Slot = { sequenced: false, outcome: null };
    this.started.push(slot);
    this.unsequenced++;
    this.unfinished++;
    const sequenced = (): void => {
      if (slot.sequenced) return;
      slot.sequenced = true;
      this.unsequenced--;
      this.pump();
    };
    let result: Promise<Outcome> | Outcome;
    try {
      result = job.run(sequenced);
    } catch (err) {
      result = { kind: 'close', reason: `request failed: ${(err as Error).message}` };
    }
    if (result instanceof Promise) {
      result.then(
        (o) => this.finish(slot, o),
        (err: unknown) => this.finish(slot, { kind: 'close', reason: `request failed: ${(err as Error).message}` }),
      );
    } else {
      this.finish(slot, result);
    }
  }

  private finish(slot: Slot, outcome: Outcome): void {
    if (!slot.sequenced) {
      slot.sequenced = true;
      this.unsequenced--;
    }
    slot.outcome = outcome;
    this.unfinished--;
    if (this.stopped) return;
    while (this.started.length > 0 && this.started[0].outcome !== null) {
      const o = this.started.shift()!.outcome!;
      if (o.kind === 'close') this.stop();
      this.deliver(o);
      if (this.stopped) return;
    }
    this.pump();
  }
}
