/**
 * Randomness behind a small interface, so code that needs it (Raft election
 * timeouts, backoff jitter) can run under a seeded simulation.
 *
 * `seededRandom(seed)` is deterministic: the same seed yields the same
 * sequence on every platform. It walks a 32-bit Weyl sequence (add the golden
 * ratio constant each step) and scrambles each state with a murmur3-style
 * finalizer. Good enough statistically for simulation and jitter; not for
 * cryptography. `systemRandom()` draws from the OS for production use.
 */
import { randomInt } from 'node:crypto';

export interface Random {
  /** A uniformly distributed integer in [0, 2^32). */
  nextUint32(): number;
  /** A uniformly distributed integer in [0, bound); bound is a positive integer ≤ 2^32. */
  nextInt(bound: number): number;
  /** A uniformly distributed float in [0, 1). */
  nextFloat(): number;
}

const GOLDEN_GAMMA = 0x9e3779b9;
const TWO_POW_32 = 0x1_0000_0000;

function checkBound(bound: number): void {
  if (!Number.isInteger(bound) || bound <= 0 || bound > TWO_POW_32) {
    throw new RangeError(`random bound must be an integer in [1, 2^32], got ${bound}`);
  }
}

class SeededRandom implements Random {
  #state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    // Fold seeds above 2^32 in, so 64-bit-ish seeds still differ.
    this.#state = (seed ^ Math.floor(seed / TWO_POW_32)) >>> 0;
  }

  nextUint32(): number {
    this.#state = (this.#state + GOLDEN_GAMMA) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  nextInt(bound: number): number {
    checkBound(bound);
    // Rejection sampling: drop the top partial range so every value is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }
}

/** A deterministic generator: the same seed always gives the same sequence. */
export function seededRandom(seed: number): Random {
  return new SeededRandom(seed);
}

/** Derive an independent deterministic stream from a parent generator (e.g. one per simulated node). */
export function forkRandom(parent: Random): Random {
  return new SeededRandom(parent.nextUint32());
}

/** Randomness from the operating system, for production. */
export function systemRandom(): Random {
  return {
    nextUint32: () => randomInt(0, TWO_POW_32),
    nextInt: (bound: number) => {
      checkBound(bound);
      return randomInt(0, bound);
    },
    nextFloat: () => randomInt(0, TWO_POW_32) / TWO_POW_32,
  };
}
