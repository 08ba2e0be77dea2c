/**
 * Assertions for conformance checks. A failed assertion throws CheckFailure
 * with a message that says what was expected and what the broker answered;
 * SkipCheck marks a check that cannot run against this broker (an API it
 * does not advertise, a precondition it cannot meet) with the reason.
 */
import { ConnectionClosedError, ResponseTimeoutError } from './connection.js';
import { errorName } from '../api/error-codes.js';

export class CheckFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailure';
  }
}

export class SkipCheck extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkipCheck';
  }
}

export function fail(message: string): never {
  throw new CheckFailure(message);
}

export function skip(reason: string): never {
  throw new SkipCheck(reason);
}

const show = (v: unknown): string =>
  typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? `<${v.length} bytes>` : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

export function expectTrue(cond: boolean, message: string): asserts cond {
  if (!cond) fail(message);
}

export function expectEqual<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) fail(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function codeName(code: number): string {
  return `${errorName(code)} (${code})`;
}

/** The error code is the expected one (or one of them). */
export function expectError(actual: number | undefined, expected: number | readonly number[], what: string): void {
  const allowed = typeof expected === 'number' ? [expected] : expected;
  if (actual === undefined || !allowed.includes(actual)) {
    fail(`${what}: expected ${allowed.map(codeName).join(' or ')}, got ${actual === undefined ? 'nothing' : codeName(actual)}`);
  }
}

export function expectNoError(actual: number | undefined, what: string): void {
  expectError(actual, 0, what);
}

/** Picks the single element matching pred, failing with `what` when absent. */
export function find<T>(items: readonly T[] | null | undefined, pred: (t: T) => boolean, what: string): T {
  const found = items?.find(pred);
  if (found === undefined) fail(`${what} is missing from the response`);
  return found;
}

export type Refusal = { kind: 'closed' } | { kind: 'answered'; frame: Buffer };

/**
 * Waits for what the broker does with a request it should refuse: close the
 * connection (resolves 'closed') or answer (resolves with the frame).
 * Times out as a failure: a broker must not leave the client hanging.
 */
export async function refusal(response: Promise<Buffer>): Promise<Refusal> {
  try {
    return { kind: 'answered', frame: await response };
  } catch (err) {
    if (err instanceof ConnectionClosedError) return { kind: 'closed' };
    if (err instanceof ResponseTimeoutError) fail('the broker neither answered nor closed the connection');
    throw err;
  }
}
