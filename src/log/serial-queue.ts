/**
 * Runs async tasks one at a time in submission order: the single owner of a
 * log's mutations (appends, rolls, truncation). A failed task does not stop
 * the ones after it; each caller sees its own task's outcome.
 */
export class SerialQueue {
  #tail: Promise<void> = Promise.resolve();
  #pending = 0;

  /** Tasks submitted and not yet settled (for backpressure by callers). */
  get pending(): number {
    return this.#pending;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#tail.then(task).finally(() => {
      this.#pending--;
    });
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Resolves once every task submitted so far has settled. */
  idle(): Promise<void> {
    return this.#tail;
  }
}
