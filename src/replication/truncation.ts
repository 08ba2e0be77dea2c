/**
 * Where a follower truncates its log before fetching from a new leader
 * (KIP-101, KIP-279), pure. Input: the leader's answer to
 * OffsetForLeaderEpoch for the follower's latest epoch (or a Fetch
 * response's diverging epoch, KIP-320/595), and the follower's own epoch
 * cache. Mirrors Kafka's AbstractFetcherThread.getOffsetTruncationState:
 *
 * - the leader knows no end offset (-1): fall back to the follower's high
 *   watermark, which every ISR member has;
 * - the leader answered an offset but no epoch: truncate to that offset;
 * - the follower has the leader's epoch: truncate to the smaller of the two
 *   end offsets for it — done;
 * - the follower's largest epoch below the leader's differs: truncate to
 *   the follower's end of that epoch and ask again with it (not done);
 * - the follower has no epoch that old: truncate to the leader's offset.
 *
 * The offset never exceeds the follower's log end offset.
 */
import type { EpochEndOffset } from './leader-epoch-cache.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';

export interface TruncationInput {
  /** The leader's answer. */
  readonly leader: EpochEndOffset;
  /** The follower's own endOffsetFor(epoch) (largest epoch <= epoch and its end), or null with no such epoch. */
  readonly followerEndFor: (epoch: number) => EpochEndOffset | null;
  readonly followerLogEndOffset: number;
  readonly followerHighWatermark: number;
}

export interface TruncationDecision {
  readonly offset: number;
  /** False: truncate, then ask the leader again with the follower's new latest epoch. */
  readonly done: boolean;
}

export function truncationFor(i: TruncationInput): TruncationDecision {
  const leo = i.followerLogEndOffset;
  if (i.leader.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: Math.min(i.followerHighWatermark, leo), done: true };
  if (i.leader.epoch === UNDEFINED_EPOCH) return { offset: Math.min(i.leader.endOffset, leo), done: true };
  const mine = i.followerEndFor(i.leader.epoch);
  if (!mine || mine.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: Math.min(i.leader.endOffset, leo), done: true };
  if (mine.epoch !== i.leader.epoch) return { offset: Math.min(mine.endOffset, leo), done: false };
  return { offset: Math.min(mine.endOffset, i.leader.endOffset, leo), done: true };
}
