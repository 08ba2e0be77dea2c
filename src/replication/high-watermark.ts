/**
 * High watermark math, pure and synchronous (table-tested in
 * test/unit/replication/high-watermark.test.ts).
 *
 * Mirrors Kafka's Partition.maybeIncrementLeaderHW (Kafka 4 semantics):
 * - the high watermark never moves while the committed ISR is smaller than
 *   the effective min.insync.replicas (min(min.insync.replicas, replicas));
 * - otherwise it is the smallest log end offset among the leader and the
 *   followers that are in the "maximal" ISR (the committed ISR widened by a
 *   pending expansion, or the pre-shrink ISR while a shrink is in flight,
 *   KIP-497), plus followers that are caught up and eligible to join (so a
 *   follower about to be added is not outrun and can catch up);
 * - it only moves forward.
 */

/** What the leader knows of one follower, from its fetches. */
export interface FollowerProgress {
  readonly id: number;
  /** The follower's log end offset (its last fetch offset); -1 before its first fetch. */
  readonly logEndOffset: number;
  /** Last time the follower was known to have caught up with the leader (Kafka's lastCaughtUpTimeMs). */
  readonly lastCaughtUpMs: number;
  /** Not fenced, not shutting down, and its broker epoch matches (may join the ISR). */
  readonly isrEligible: boolean;
}

export interface HighWatermarkInput {
  readonly leaderLogEndOffset: number;
  readonly highWatermark: number;
  /** Committed ISR size (the controller's). */
  readonly isrSize: number;
  readonly maximalIsr: readonly number[];
  readonly effectiveMinIsr: number;
  readonly followers: readonly FollowerProgress[];
  readonly nowMs: number;
  readonly replicaLagTimeMaxMs: number;
}

/** min(min.insync.replicas, replication factor): a topic asking for more than it has is held to what it has. */
export function effectiveMinIsr(minInsyncReplicas: number, replicationFactor: number): number {
  return Math.max(1, Math.min(minInsyncReplicas, replicationFactor));
}

/** Kafka's ReplicaState.isCaughtUp: at the leader's end, or caught up within the lag window. */
export function isCaughtUp(f: FollowerProgress, leaderLogEndOffset: number, nowMs: number, replicaLagTimeMaxMs: number): boolean {
  if (f.logEndOffset < 0) return false;
  return f.logEndOffset >= leaderLogEndOffset || nowMs - f.lastCaughtUpMs <= replicaLagTimeMaxMs;
}

/** The high watermark after this input; equal to input.highWatermark when it cannot move. */
export function nextHighWatermark(i: HighWatermarkInput): number {
  if (i.isrSize < i.effectiveMinIsr) return i.highWatermark;
  let hw = i.leaderLogEndOffset;
  for (const f of i.followers) {
    const counts = i.maximalIsr.includes(f.id) || (f.isrEligible && isCaughtUp(f, i.leaderLogEndOffset, i.nowMs, i.replicaLagTimeMaxMs));
    if (!counts) continue;
    // A follower that has not fetched yet holds the watermark where it is.
    const leo = f.logEndOffset < 0 ? i.highWatermark : f.logEndOffset;
    if (leo < hw) hw = leo;
  }
  return Math.max(hw, i.highWatermark);
}

/** What the leader records when a follower fetches at fetchOffset (Kafka's ReplicaState.updateFetchState). */
export interface FetchProgress {
  readonly logEndOffset: number;
  readonly lastCaughtUpMs: number;
  /** The leader's log end offset at the follower's previous fetch. */
  readonly lastFetchLeaderLogEndOffset: number;
  readonly lastFetchMs: number;
}

/**
 * A fetch at fetchOffset proves the follower has everything below it. It is
 * caught up now if it reached the leader's end; else it was caught up at its
 * previous fetch if it now has what the leader had then.
 */
export function afterFollowerFetch(prev: FetchProgress, fetchOffset: number, leaderLogEndOffset: number, nowMs: number): FetchProgress {
  let lastCaughtUpMs = prev.lastCaughtUpMs;
  if (fetchOffset >= leaderLogEndOffset) lastCaughtUpMs = Math.max(lastCaughtUpMs, nowMs);
  else if (fetchOffset >= prev.lastFetchLeaderLogEndOffset) lastCaughtUpMs = Math.max(lastCaughtUpMs, prev.lastFetchMs);
  return { logEndOffset: fetchOffset, lastCaughtUpMs, lastFetchLeaderLogEndOffset: leaderLogEndOffset, lastFetchMs: nowMs };
}
