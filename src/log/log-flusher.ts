/**
 * LogFlusher: the broker-wide fsync scheduler for the logs of a LogManager,
 * a pipelined group commit per log under one bound on concurrent fsyncs.
 *
 * A log asks for a flush after its append was written (acks=all with
 * krill.fsync.before.ack, flush.messages, flush.ms). Per log, at most one
 * fsync is in flight:
 * - a log with no fsync running or queued joins the FIFO queue of logs
 *   waiting for a slot; the queue is served after the current microtasks,
 *   so requests made together share one fsync;
 * - requests made while the log waits in the queue join that fsync (it has
 *   not begun yet);
 * - requests made while the log's fsync runs are collected for its next
 *   one, because their writes may have missed the fsync already started;
 *   as soon as the running fsync completes (and its waiters are settled),
 *   the log rejoins the queue with the collected requests.
 * So every waiter is answered by an fsync that began after its request,
 * which covers every write completed before the request, exactly the
 * per-log group commit's guarantee. Logs do not wait for each other: there
 * is no cycle or barrier, a slow fsync delays only its own log's next one.
 * One log's failure rejects only the waiters of that fsync; the requests
 * collected meanwhile get an fsync of their own.
 *
 * At most `maxParallel` fsyncs are in flight at once over all logs: each
 * holds a descriptor from the handle cache (so 10,000 partitions flushing
 * at once stay bounded), and the thread pool runs only a few at a time
 * anyway. A log whose fsync ends goes to the back of the queue, so under
 * that bound every log gets its turn.
 */

interface Waiters {
  readonly promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** Flush state of one log that has an fsync queued or running. */
interface Entry {
  readonly log: object;
  /** The log's latest fsync round, called once per fsync. */
  sync: () => Promise<void>;
  /** Requests for the next fsync of this log (not begun yet). */
  next: Waiters | null;
  /** In the queue for a slot. */
  queued: boolean;
  /** Its fsync is in flight. */
  running: boolean;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class LogFlusher {
  /** Logs with an fsync queued or running; a log leaves once idle. */
  readonly #entries = new Map<object, Entry>();
  /** FIFO of logs waiting for a slot, from `#head` on. */
  #queue: Entry[] = [];
  #head = 0;
  #inFlight = 0;
  #scheduled = false;
  #requests = 0;
  #syncs = 0;
  #failures = 0;

  constructor(readonly maxParallel = 64) {
    if (!Number.isSafeInteger(maxParallel) || maxParallel < 1) throw new RangeError(`flusher parallelism ${maxParallel}`);
  }

  /** Flush requests made (for tests and metrics). */
  get requests(): number {
    return this.#requests;
  }

  /** Log fsyncs started; `requests - syncs` were served by a shared fsync. */
  get syncs(): number {
    return this.#syncs;
  }

  /** Log fsyncs that failed. */
  get failures(): number {
    return this.#failures;
  }

  /** Fsyncs in flight now (at most maxParallel). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Logs waiting for a slot now. */
  get queued(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Resolves once an fsync of `log` that started after this call completed.
   * `sync` is the log's fsync round; it is called once per fsync.
   */
  request(log: object, sync: () => Promise<void>): Promise<void> {
    this.#requests++;
    let entry = this.#entries.get(log);
    if (entry === undefined) {
      entry = { log, sync, next: null, queued: false, running: false };
      this.#entries.set(log, entry);
    } else {
      entry.sync = sync;
    }
    entry.next ??= waiters();
    if (!entry.running && !entry.queued) this.#enqueue(entry);
    return entry.next.promise;
  }

  #enqueue(entry: Entry): void {
    entry.queued = true;
    this.#queue.push(entry);
    this.#schedule();
  }

  /** Serves the queue after the current microtasks, so requests made together share an fsync. */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.maxParallel) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < this.maxParallel && this.#head < this.#queue.length) {
      const entry = this.#queue[this.#head] as Entry;
      this.#head++;
      entry.queued = false;
      this.#start(entry);
    }
    if (this.#head === this.#queue.length) {
      this.#queue = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #start(entry: Entry): void {
    const batch = entry.next as Waiters;
    entry.next = null;
    entry.running = true;
    this.#inFlight++;
    this.#syncs++;
    let run: Promise<void>;
    try {
      run = entry.sync();
    } catch (err) {
      run = Promise.reject(err);
    }
    run.then(
      () => this.#done(entry, batch, null),
      (err: unknown) => this.#done(entry, batch, { err }),
    );
  }

  #done(entry: Entry, batch: Waiters, failure: { err: unknown } | null): void {
    this.#inFlight--;
    entry.running = false;
    if (failure === null) {
      batch.resolve();
    } else {
      this.#failures++;
      batch.reject(failure.err);
    }
    if (entry.next !== null) this.#enqueue(entry);
    else this.#entries.delete(entry.log);
    this.#schedule();
  }
}
