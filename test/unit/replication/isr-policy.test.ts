/** ISR shrink/expand decisions and the acks=all verdict, table-tested. */
import { describe, expect, it } from 'vitest';
import type { FollowerProgress } from '../../../src/replication/high-watermark.js';
import { acksVerdict, outOfSyncReplicas, shouldExpandIsr } from '../../../src/replication/isr-policy.js';

const NOW = 100_000;
const LAG = 10_000;
const f = (id: number, logEndOffset: number, lastCaughtUpMs = NOW, isrEligible = true): FollowerProgress => ({ id, logEndOffset, lastCaughtUpMs, isrEligible });

describe('outOfSyncReplicas', () => {
  const cases: Array<[string, FollowerProgress[], number[]]> = [
    ['everyone caught up', [f(2, 100), f(3, 100)], []],
    ['at the leader end counts even after a long quiet', [f(2, 100, 0), f(3, 100, 0)], []],
    ['behind for longer than the lag: out', [f(2, 100), f(3, 90, NOW - LAG - 1)], [3]],
    ['behind, within the lag: in', [f(2, 100), f(3, 90, NOW - LAG)], []],
    ['never fetched, lag window since the leader took over: in', [f(2, 100), f(3, -1, NOW - 5)], []],
    ['never fetched for longer than the lag: out', [f(2, -1, NOW - LAG - 1), f(3, 100)], [2]],
  ];
  it.each(cases)('%s', (_n, followers, want) => {
    expect(outOfSyncReplicas({ leaderId: 1, isr: [1, 2, 3], followers, leaderLogEndOffset: 100, nowMs: NOW, replicaLagTimeMaxMs: LAG })).toEqual(want);
  });
  it('only looks at ISR members', () => {
    expect(outOfSyncReplicas({ leaderId: 1, isr: [1, 2], followers: [f(2, 100), f(3, 0, 0)], leaderLogEndOffset: 100, nowMs: NOW, replicaLagTimeMaxMs: LAG })).toEqual([]);
  });
});

describe('shouldExpandIsr', () => {
  const cases: Array<[string, FollowerProgress, number, number, boolean]> = [
    ['reached the high watermark and the epoch start', f(3, 50), 50, 40, true],
    ['below the high watermark', f(3, 49), 50, 40, false],
    ['below the start of the leader epoch', f(3, 50), 30, 60, false],
    ['ineligible (fenced, stale broker epoch)', f(3, 50, NOW, false), 50, 40, false],
    ['never fetched', f(3, -1), 0, 0, false],
  ];
  it.each(cases)('%s', (_n, follower, hw, epochStart, want) => {
    expect(shouldExpandIsr({ follower, isr: [1, 2], highWatermark: hw, leaderEpochStartOffset: epochStart })).toBe(want);
  });
  it('already a member: no', () => {
    expect(shouldExpandIsr({ follower: f(2, 100), isr: [1, 2], highWatermark: 0, leaderEpochStartOffset: 0 })).toBe(false);
  });
});

describe('acksVerdict', () => {
  it.each([
    [9, 10, 2, 3, 'wait'],
    [10, 10, 2, 3, 'ok'],
    [12, 10, 2, 2, 'ok'],
    [10, 10, 2, 1, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND'],
  ] as const)('hw %i, required %i, min %i, isr %i: %s', (hw, required, min, isr, want) => {
    expect(acksVerdict(hw, required, min, isr)).toBe(want);
  });
});
