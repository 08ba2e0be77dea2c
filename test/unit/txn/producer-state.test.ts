import { describe, expect, it } from 'vitest';
import { ProducerStateManager, lastSequence, nextSequence } from '../../../src/txn/producer-state.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/txn/producer-snapshot.js';

const batch = (firstSeq: number, n: number, firstOffset: number) => ({
  firstSeq,
  lastSeq: lastSequence(firstSeq, n - 1),
  firstOffset,
  lastOffset: firstOffset + n - 1,
  timestamp: 1000 + firstOffset,
});

describe('ProducerStateManager', () => {
  it('accepts an unknown producer at any sequence, then demands the next one', () => {
    const s = new ProducerStateManager();
    expect(s.check(7n, 0, 42, 44).kind).toBe('append');
    s.record(7n, 0, batch(42, 3, 0), false);
    expect(s.check(7n, 0, 45, 45).kind).toBe('append');
    const gap = s.check(7n, 0, 47, 47);
    expect(gap).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  it('recognises any of the last five batches as a duplicate, not older ones', () => {
    const s = new ProducerStateManager();
    for (let i = 0; i < 7; i++) s.record(1n, 0, batch(i * 10, 10, i * 10), false);
    expect(s.check(1n, 0, 60, 69)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 60 } });
    expect(s.check(1n, 0, 20, 29)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 20 } });
    expect(s.check(1n, 0, 10, 19).kind).toBe('error');
  });

  it('fences older epochs and requires sequence 0 for a new epoch', () => {
    const s = new ProducerStateManager();
    s.record(1n, 3, batch(0, 5, 0), false);
    expect(s.check(1n, 2, 5, 5)).toMatchObject({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(s.check(1n, 4, 5, 5)).toMatchObject({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(s.check(1n, 4, 0, 0).kind).toBe('append');
  });

  it('wraps sequences at 2^31', () => {
    expect(nextSequence(2 ** 31 - 1)).toBe(0);
    expect(lastSequence(2 ** 31 - 2, 3)).toBe(1);
    const s = new ProducerStateManager();
    s.record(1n, 0, batch(2 ** 31 - 2, 2, 0), false);
    expect(s.check(1n, 0, 0, 4).kind).toBe('append');
  });

  it('forgets truncated batches and expired producers', () => {
    const s = new ProducerStateManager();
    s.record(1n, 0, batch(0, 5, 0), false);
    s.record(1n, 0, batch(5, 5, 5), false);
    s.truncateFrom(5);
    expect(s.check(1n, 0, 5, 9).kind).toBe('append');
    expect(s.expire(10_000)).toBe(1);
    expect(s.producers.size).toBe(0);
  });

  it('round-trips through the snapshot format and detects corruption', () => {
    const s = new ProducerStateManager();
    s.record(5n, 2, batch(10, 4, 100), false);
    s.record(9n, 0, batch(0, 1, 200), true);
    const buf = encodeSnapshot(s);
    const back = decodeSnapshot(buf);
    expect(back.check(5n, 2, 10, 13)).toMatchObject({ kind: 'duplicate', batch: { firstOffset: 100, lastOffset: 103 } });
    expect(back.check(5n, 2, 14, 14).kind).toBe('append');
    expect(back.producers.get(9n)?.currentTxnFirstOffset).toBe(200);
    buf[buf.length - 1] ^= 1;
    expect(() => decodeSnapshot(buf)).toThrow(/CRC/);
  });
});
