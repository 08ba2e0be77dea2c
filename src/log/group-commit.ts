/**
 * Group commit for fsync: callers that arrive while no sync runs start one;
 * callers that arrive while one runs all share the single next sync, which
 * starts when the current one ends (their writes may have missed the current
 * one). So N concurrent flush() calls cost at most two syncs.
 */
export class GroupCommit {
  readonly #action: () => Promise<void>;
  #inFlight: Promise<void> | null = null;
  #next: Promise<void> | null = null;
  #runs = 0;

  constructor(action: () => Promise<void>) {
    this.#action = action;
  }

  /** How many times the action has been started. */
  get runs(): number {
    return this.#runs;
  }

  run(): Promise<void> {
    if (this.#next !== null) return this.#next;
    const current = this.#inFlight;
    if (current === null) return this.#start();
    const next = current
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#next = null;
        return this.#start();
      });
    this.#next = next;
    return next;
  }

  #start(): Promise<void> {
    this.#runs++;
    const p: Promise<void> = this.#action().finally(() => {
      if (this.#inFlight === p) this.#inFlight = null;
    });
    this.#inFlight = p;
    return p;
  }
}
