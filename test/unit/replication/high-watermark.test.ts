/** High watermark math (Kafka 4's maybeIncrementLeaderHW), table-tested. */
import { describe, expect, it } from 'vitest';
import { afterFollowerFetch, effectiveMinIsr, nextHighWatermark, type FollowerProgress, type HighWatermarkInput } from '../../../src/replication/high-watermark.js';

const NOW = 100_000;
const LAG = 10_000;
const f = (id: number, logEndOffset: number, o: Partial<FollowerProgress> = {}): FollowerProgress => ({ id, logEndOffset, lastCaughtUpMs: NOW, isrEligible: true, ...o });
const input = (o: Partial<HighWatermarkInput>): HighWatermarkInput => ({
  leaderLogEndOffset: 100,
  highWatermark: 0,
  isrSize: 3,
  maximalIsr: [1, 2, 3],
  effectiveMinIsr: 2,
  followers: [f(2, 100), f(3, 100)],
  nowMs: NOW,
  replicaLagTimeMaxMs: LAG,
  ...o,
});

describe('nextHighWatermark', () => {
  const cases: Array<[string, Partial<HighWatermarkInput>, number]> = [
    ['all caught up: the leader end', {}, 100],
    ['the slowest ISR member holds it', { followers: [f(2, 100), f(3, 40)] }, 40],
    ['never backwards', { highWatermark: 60, followers: [f(2, 100), f(3, 40)] }, 60],
    ['a member that has not fetched holds it where it is', { highWatermark: 10, followers: [f(2, 100), f(3, -1)] }, 10],
    ['frozen under min.insync.replicas', { isrSize: 1, maximalIsr: [1], followers: [f(2, 0, { lastCaughtUpMs: 0 }), f(3, 0, { lastCaughtUpMs: 0 })], effectiveMinIsr: 2 }, 0],
    ['leader alone, min isr 1: the leader end', { isrSize: 1, maximalIsr: [1], effectiveMinIsr: 1, followers: [f(2, 5, { lastCaughtUpMs: 0 }), f(3, 5, { lastCaughtUpMs: 0 })] }, 100],
    ['a lagging non-member does not hold it', { isrSize: 2, maximalIsr: [1, 2], followers: [f(2, 90), f(3, 5, { lastCaughtUpMs: NOW - 2 * LAG })] }, 90],
    ['a caught-up eligible non-member holds it (about to join)', { isrSize: 2, maximalIsr: [1, 2], followers: [f(2, 90), f(3, 70)] }, 70],
    ['a caught-up but ineligible non-member does not', { isrSize: 2, maximalIsr: [1, 2], followers: [f(2, 90), f(3, 70, { isrEligible: false })] }, 90],
    ['a pending shrink still waits for the leaving member', { isrSize: 2, maximalIsr: [1, 2, 3], followers: [f(2, 90), f(3, 30, { lastCaughtUpMs: 0 })] }, 30],
  ];
  it.each(cases)('%s', (_name, o, want) => {
    expect(nextHighWatermark(input(o))).toBe(want);
  });
});

describe('effectiveMinIsr', () => {
  it.each([
    [2, 3, 2],
    [3, 1, 1],
    [1, 3, 1],
    [0, 3, 1],
  ])('min.insync.replicas %i with %i replicas: %i', (min, rf, want) => {
    expect(effectiveMinIsr(min, rf)).toBe(want);
  });
});

describe('afterFollowerFetch', () => {
  const prev = { logEndOffset: 10, lastCaughtUpMs: 1000, lastFetchLeaderLogEndOffset: 50, lastFetchMs: 5000 };
  it('at the leader end: caught up now', () => {
    expect(afterFollowerFetch(prev, 80, 80, 9000)).toEqual({ logEndOffset: 80, lastCaughtUpMs: 9000, lastFetchLeaderLogEndOffset: 80, lastFetchMs: 9000 });
  });
  it('has what the leader had at the previous fetch: caught up then', () => {
    expect(afterFollowerFetch(prev, 60, 80, 9000).lastCaughtUpMs).toBe(5000);
  });
  it('still behind the previous leader end: unchanged', () => {
    expect(afterFollowerFetch(prev, 40, 80, 9000).lastCaughtUpMs).toBe(1000);
  });
});
