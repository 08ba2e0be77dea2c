/** The leader epoch cache (KIP-101/279): assign, endOffsetFor, truncation, checkpoint text. */
import { describe, expect, it } from 'vitest';
import { formatEpochCheckpoint, LeaderEpochCache, parseEpochCheckpoint } from '../../../src/replication/leader-epoch-cache.js';

const cache = (): LeaderEpochCache => new LeaderEpochCache([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 5, startOffset: 20 }]);

describe('LeaderEpochCache', () => {
  it.each([
    ['undefined epoch', -1, 30, { epoch: -1, endOffset: -1 }],
    ['latest epoch: the log end', 5, 30, { epoch: 5, endOffset: 30 }],
    ['a cached epoch: the next one\'s start', 3, 30, { epoch: 3, endOffset: 20 }],
    ['an epoch between cached ones: the largest below, ended where the next starts', 4, 30, { epoch: 3, endOffset: 20 }],
    ['older than the cache: the first start', 0, 30, { epoch: 0, endOffset: 0 }],
    ['newer than the cache', 9, 30, { epoch: -1, endOffset: -1 }],
  ] as const)('endOffsetFor: %s', (_n, epoch, leo, want) => {
    expect(cache().endOffsetFor(epoch, leo)).toEqual(want);
  });

  it('assign keeps epochs increasing and drops entries at or after the new start', () => {
    const c = cache();
    expect(c.assign(4, 30)).toBe(false);
    expect(c.assign(5, 30)).toBe(false);
    expect(c.assign(6, 20)).toBe(true);
    expect(c.entries).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 6, startOffset: 20 }]);
    expect(c.assign(-1, 40)).toBe(false);
  });

  it('truncateFromEnd drops epochs starting at or after the offset', () => {
    const c = cache();
    expect(c.truncateFromEnd(20)).toBe(true);
    expect(c.latestEpoch).toBe(3);
    expect(c.truncateFromEnd(25)).toBe(false);
  });

  it('truncateFromStart moves the first kept epoch up to the new log start', () => {
    const c = cache();
    expect(c.truncateFromStart(15)).toBe(true);
    expect(c.entries).toEqual([{ epoch: 3, startOffset: 15 }, { epoch: 5, startOffset: 20 }]);
    expect(c.truncateFromStart(15)).toBe(false);
  });

  it('epochForOffset', () => {
    expect([0, 9, 10, 25].map((o) => cache().epochForOffset(o))).toEqual([1, 1, 3, 5]);
  });

  it('checkpoint text round-trips in Kafka\'s format', () => {
    const text = formatEpochCheckpoint(cache().entries);
    expect(text).toBe('0\n3\n1 0\n3 10\n5 20\n');
    expect(parseEpochCheckpoint(text)).toEqual(cache().entries);
    expect(() => parseEpochCheckpoint('1\n0\n')).toThrow();
    expect(() => parseEpochCheckpoint('0\n2\n1 0\n')).toThrow();
  });
});
