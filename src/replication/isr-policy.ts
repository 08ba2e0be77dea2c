/**
 * ISR decisions of a partition leader, pure and synchronous (table-tested
 * in test/unit/replication/isr-policy.test.ts). Mirrors Kafka's
 * Partition.scala: getOutOfSyncReplicas / maybeShrinkIsr,
 * isFollowerInSync / maybeExpandIsr and checkEnoughReplicasReachOffset.
 */
import { isCaughtUp, type FollowerProgress } from './high-watermark.js';

export interface ShrinkInput {
  readonly leaderId: number;
  readonly isr: readonly number[];
  readonly followers: readonly FollowerProgress[];
  readonly leaderLogEndOffset: number;
  readonly nowMs: number;
  readonly replicaLagTimeMaxMs: number;
}

/**
 * ISR members (other than the leader) that have not caught up within
 * replica.lag.time.max.ms: they leave the ISR. A member the leader has no
 * progress for yet counts as out of sync only once the lag window has
 * passed since it was last caught up (the leader starts that clock when it
 * takes over).
 */
export function outOfSyncReplicas(i: ShrinkInput): number[] {
  const out: number[] = [];
  for (const id of i.isr) {
    if (id === i.leaderId) continue;
    const f = i.followers.find((x) => x.id === id);
    if (!f) continue;
    const caughtUp = f.logEndOffset < 0 ? i.nowMs - f.lastCaughtUpMs <= i.replicaLagTimeMaxMs : isCaughtUp(f, i.leaderLogEndOffset, i.nowMs, i.replicaLagTimeMaxMs);
    if (!caughtUp) out.push(id);
  }
  return out;
}

export interface ExpandInput {
  readonly follower: FollowerProgress;
  readonly isr: readonly number[];
  readonly highWatermark: number;
  /** The leader's log end offset when it took this epoch (Kafka's leaderEpochStartOffsetOpt). */
  readonly leaderEpochStartOffset: number;
}

/**
 * A follower outside the ISR rejoins once it has reached the high watermark
 * and the start of the leader's current epoch (so it holds everything the
 * leader acknowledged) and it is eligible (not fenced or shutting down,
 * current broker epoch).
 */
export function shouldExpandIsr(i: ExpandInput): boolean {
  const f = i.follower;
  if (i.isr.includes(f.id) || !f.isrEligible || f.logEndOffset < 0) return false;
  return f.logEndOffset >= i.highWatermark && f.logEndOffset >= i.leaderEpochStartOffset;
}

export type AcksVerdict = 'wait' | 'ok' | 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';

/**
 * acks=all completion: done once the high watermark reaches the offset
 * after the append; answered NOT_ENOUGH_REPLICAS_AFTER_APPEND if by then the
 * (maximal) ISR is smaller than min.insync.replicas.
 */
export function acksVerdict(highWatermark: number, requiredOffset: number, effectiveMinIsr: number, maximalIsrSize: number): AcksVerdict {
  if (highWatermark < requiredOffset) return 'wait';
  return maximalIsrSize >= effectiveMinIsr ? 'ok' : 'NOT_ENOUGH_REPLICAS_AFTER_APPEND';
}
