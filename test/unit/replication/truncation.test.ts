/** Follower truncation decisions (AbstractFetcherThread.getOffsetTruncationState), table-tested. */
import { describe, expect, it } from 'vitest';
import { LeaderEpochCache } from '../../../src/replication/leader-epoch-cache.js';
import { truncationFor } from '../../../src/replication/truncation.js';

// The follower: epochs 1@0, 2@10, 4@20, log end 30, high watermark 12.
const follower = new LeaderEpochCache([{ epoch: 1, startOffset: 0 }, { epoch: 2, startOffset: 10 }, { epoch: 4, startOffset: 20 }]);
const decide = (epoch: number, endOffset: number) =>
  truncationFor({
    leader: { epoch, endOffset },
    followerEndFor: (e) => {
      const r = follower.endOffsetFor(e, 30);
      return r.endOffset < 0 ? null : r;
    },
    followerLogEndOffset: 30,
    followerHighWatermark: 12,
  });

describe('truncationFor', () => {
  it.each([
    ['leader knows no offset: the high watermark', -1, -1, { offset: 12, done: true }],
    ['offset without epoch: that offset', -1, 25, { offset: 25, done: true }],
    ['same epoch, leader ended earlier: the leader end', 4, 26, { offset: 26, done: true }],
    ['same epoch, leader ended later: keep the log', 4, 40, { offset: 30, done: true }],
    ['an older epoch both have: the smaller end', 2, 15, { offset: 15, done: true }],
    ['an epoch the follower lacks: cut to its largest below, ask again', 3, 18, { offset: 20, done: false }],
    ['older than anything the follower has: its first epoch start (nothing of ours is in the leader epoch)', 0, 5, { offset: 0, done: true }],
  ] as const)('%s', (_n, epoch, end, want) => {
    expect(decide(epoch, end)).toEqual(want);
  });
});
