/**
 * LogFlusher: one broker-wide fsync cycle for the logs of a LogManager,
 * instead of a group commit per partition.
 *
 * A log asks for a flush after its append was written (acks=all with
 * krill.fsync.before.ack, flush.messages, flush.ms). Requests collect into
 * the next cycle; a cycle starts when none is running (after the current
 * microtasks, so requests made together share it), fsyncs every requesting
 * log in parallel on the thread pool, and settles each log's waiters when
 * that log's fsync finished (one log's failure fails only its waiters).
 * Requests made while a cycle runs wait for the next one, because their
 * writes may have missed the fsync already started. So every waiter is
 * answered by an fsync that began after its request, which covers every
 * write completed before the request, exactly the per-log group commit's
 * guarantee.
 *
 * At most `maxParallel` fsyncs of a cycle are in flight at once: each holds
 * a descriptor from the handle cache, and the thread pool runs only a few
 * at a time anyway.
 */

interface Request {
  readonly sync: () => Promise<void>;
  readonly promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class LogFlusher {
  /** Logs waiting for the next cycle, by log (one request each, shared by its waiters). */
  #next = new Map<object, Request>();
  #running = false;
  #scheduled = false;
  #cycles = 0;
  #syncs = 0;

  constructor(readonly maxParallel = 64) {
    if (!Number.isSafeInteger(maxParallel) || maxParallel < 1) throw new RangeError(`flusher parallelism ${maxParallel}`);
  }

  /** Cycles started (for tests and metrics). */
  get cycles(): number {
    return this.#cycles;
  }

  /** Log fsyncs started over all cycles. */
  get syncs(): number {
    return this.#syncs;
  }

  /**
   * Resolves once an fsync of `log` that started after this call completed.
   * `sync` is the log's fsync round; it is called once per cycle.
   */
  request(log: object, sync: () => Promise<void>): Promise<void> {
    let req = this.#next.get(log);
    if (req === undefined) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      req = { sync, promise, resolve, reject };
      this.#next.set(log, req);
    }
    this.#schedule();
    return req.promise;
  }

  #schedule(): void {
    if (this.#running || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#cycle();
    });
  }

  async #cycle(): Promise<void> {
    if (this.#running || this.#next.size === 0) return;
    this.#running = true;
    const batch = [...this.#next.values()];
    this.#next = new Map();
    this.#cycles++;
    this.#syncs += batch.length;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const req = batch[next++] as Request;
        try {
          await req.sync();
          req.resolve();
        } catch (err) {
          req.reject(err);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.maxParallel, batch.length) }, worker));
    this.#running = false;
    if (this.#next.size > 0) this.#schedule();
  }
}
