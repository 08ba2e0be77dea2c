import { describe, expect, it } from 'vitest';
import * as errors from '../../../src/log/errors.js';

describe('log error catalogue', () => {
  type AnyCtor = new (...args: unknown[]) => errors.LogError;
  const classes: AnyCtor[] = Object.values(errors as Record<string, unknown>).filter(
    (v) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof errors.LogError,
  ) as AnyCtor[];

  it('gives every error class a unique code listed in LOG_ERROR_CODES', () => {
    // Codes are instance fields; constructing with dummy arguments is enough to read them.
    const codes = classes.map((C) => new C(0, 0, 0, 'x').code);
    expect(classes.length).toBeGreaterThan(5);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...errors.LOG_ERROR_CODES].sort());
  });

  it('keeps the class name and a Kafka error name', () => {
    const e = new errors.OffsetOutOfRangeError(5, 0, 3, '/d');
    expect(e.name).toBe('OffsetOutOfRangeError');
    expect(e).toBeInstanceOf(Error);
    expect(e.kafkaError).toBe('OFFSET_OUT_OF_RANGE');
    expect(e.message).toContain('[0, 3]');
  });
});
