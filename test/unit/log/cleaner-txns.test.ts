import { describe, expect, it } from 'vitest';
import { TxnTracker } from '../../../src/log/cleaner-txns.js';
import { OffsetMap } from '../../../src/log/offset-map.js';

const k = (s: string) => Buffer.from(s);

describe('TxnTracker', () => {
  it('releases committed records at the marker, marks aborted batches, reports undecided ones', () => {
    const t = new TxnTracker();
    t.data(1n, 10, [[k('a'), 10]]);
    t.data(2n, 11, [[k('b'), 11]]);
    t.data(1n, 12, [[k('c'), 12]]);
    t.data(3n, 13, []);
    expect(t.marker(1n, true).map(([key, o]) => `${key.toString()}@${o}`)).toEqual(['a@10', 'c@12']);
    expect(t.marker(2n, false)).toEqual([]);
    expect([...t.aborted]).toEqual([11]);
    expect([...t.undecided()]).toEqual([13]);
    // A marker without open data (its data was cleaned earlier) changes nothing.
    expect(t.marker(9n, true)).toEqual([]);
  });
});

describe('OffsetMap.put', () => {
  it('keeps the newest offset when entries arrive out of order (committed transactions)', () => {
    const m = new OffsetMap(10);
    m.put(k('a'), 20);
    m.put(k('a'), 12);
    expect(m.get(k('a'))).toBe(20);
  });
});
