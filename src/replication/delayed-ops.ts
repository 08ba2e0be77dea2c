/**
 * A purgatory of delayed operations (Kafka's DelayedOperationPurgatory):
 * an operation that cannot complete yet is parked under the keys it waits
 * on (partitions), checked again when something changes for one of those
 * keys (`checkAndComplete`), and expired by the timer wheel at its
 * deadline. Nothing polls.
 *
 * Each operation completes exactly once: by `tryComplete` returning true,
 * by expiry (`onExpire`), or by `cancel` (`onCancel`, e.g. the partition
 * lost leadership). Everything runs synchronously on the caller's turn.
 */
import type { Cancel, TimerWheel } from './timer-wheel.js';

export interface DelayedOperation {
  /** Completes the operation if it can (answering its waiter) and returns whether it did. */
  tryComplete(): boolean;
  /** The deadline passed first. */
  onExpire(): void;
}

interface Parked {
  readonly op: DelayedOperation;
  readonly keys: readonly object[];
  cancelTimer: Cancel;
  done: boolean;
}

export class Purgatory {
  readonly #watchers = new Map<object, Set<Parked>>();

  constructor(private readonly wheel: TimerWheel) {}

  /** Operations parked under key. */
  watching(key: object): number {
    return this.#watchers.get(key)?.size ?? 0;
  }

  /** Tries op now; if it cannot complete, parks it under keys until completion or timeoutMs. */
  tryCompleteElseWatch(op: DelayedOperation, keys: readonly object[], timeoutMs: number): void {
    if (op.tryComplete()) return;
    const parked: Parked = { op, keys, cancelTimer: () => undefined, done: false };
    for (const k of keys) {
      let set = this.#watchers.get(k);
      if (!set) this.#watchers.set(k, (set = new Set()));
      set.add(parked);
    }
    parked.cancelTimer = this.wheel.schedule(timeoutMs, () => {
      if (this.#finish(parked)) op.onExpire();
    });
  }

  /** Re-checks the operations parked under key; returns how many completed. */
  checkAndComplete(key: object): number {
    const set = this.#watchers.get(key);
    if (!set) return 0;
    let n = 0;
    for (const parked of [...set]) {
      if (parked.done) continue;
      if (parked.op.tryComplete()) {
        this.#finish(parked);
        n++;
      }
    }
    return n;
  }

  /** Completes every operation parked under key through fn (leadership lost, partition closed). */
  completeAll(key: object, fn: (op: DelayedOperation) => void): void {
    const set = this.#watchers.get(key);
    if (!set) return;
    for (const parked of [...set]) if (this.#finish(parked)) fn(parked.op);
  }

  #finish(parked: Parked): boolean {
    if (parked.done) return false;
    parked.done = true;
    parked.cancelTimer();
    for (const k of parked.keys) {
      const set = this.#watchers.get(k);
      set?.delete(parked);
      if (set && set.size === 0) this.#watchers.delete(k);
    }
    return true;
  }
}
