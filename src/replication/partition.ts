/**
 * One partition replica as this node sees it: its log, its role (leader,
 * follower, or offline when the partition has no leader), the leader epoch
 * and partition epoch, the ISR and replicas from the metadata image, the
 * high watermark, and the leader epoch cache persisted beside the log.
 *
 * As leader it tracks every follower's progress from their fetches
 * (`recordFollowerFetch`), moves the high watermark with the pure
 * `nextHighWatermark` (Kafka 4 rules: smallest log end offset over the
 * maximal ISR, frozen under min.insync.replicas), and carries at most one
 * ISR change in flight to the controller (`pendingIsr`, KIP-497's maximal
 * ISR while it is pending). As follower its high watermark is the leader's,
 * capped at its own log end.
 *
 * Invariants: the high watermark only moves forward while the role stays
 * (a follower truncating below it lowers it to the truncation point); it
 * never exceeds the log end offset; consumers read below it only.
 *
 * One owner: role transitions and follower truncation run on the
 * partition's serial queue (`serially`); appends decide their offsets
 * synchronously, so a transition never sees half an append.
 */
import type { PartitionLog } from '../log/partition-log.js';
import type { PartitionImage } from '../controller/metadata-image.js';
import type { ProducerStateManager } from '../txn/producer-state.js';
import type { AbortedTxnIndex } from '../txn/aborted-txn-index.js';
import type { CheckpointWriter } from './checkpoint-file.js';
import type { LeaderEpochCache } from './leader-epoch-cache.js';
import { afterFollowerFetch, effectiveMinIsr, nextHighWatermark, type FetchProgress, type FollowerProgress } from './high-watermark.js';

export type ReplicaRole = 'leader' | 'follower' | 'offline';

export interface FollowerState extends FetchProgress {
  readonly id: number;
  /** Broker epoch the follower sent with its last fetch (-1 unknown). */
  readonly brokerEpoch: bigint;
}

/** An ISR change sent to the controller and not yet answered. */
export interface PendingIsr {
  readonly kind: 'expand' | 'shrink';
  readonly isr: readonly number[];
  /** The wider of the committed and proposed ISR: what the high watermark waits for meanwhile. */
  readonly maximal: readonly number[];
  readonly partitionEpoch: number;
}

export interface PartitionInit {
  readonly epochs: LeaderEpochCache;
  readonly epochWriter: CheckpointWriter;
  /** Checkpointed high watermark, if any. */
  readonly highWatermark: number | null;
}

export class Partition {
  private hw: number;
  private readonly hwWaiters = new Set<() => void>();
  private readonly leoWaiters = new Set<() => void>();
  private queue: Promise<unknown> = Promise.resolve();
  role: ReplicaRole = 'offline';
  leaderEpoch: number;
  leader: number;
  partitionEpoch: number;
  /** Producer state changed since the last snapshot. */
  producersDirty = false;
  isr: readonly number[];
  replicas: readonly number[];
  pendingIsr: PendingIsr | null = null;
  /** Log end offset when this node became leader for the current epoch (-1 when not leader). */
  leaderEpochStartOffset = -1;
  readonly followers = new Map<number, FollowerState>();
  readonly epochs: LeaderEpochCache;
  private readonly epochWriter: CheckpointWriter;
  closed = false;

  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    readonly log: PartitionLog,
    image: PartitionImage,
    /** Idempotence state: sequences of the producers writing here (replaced when a follower truncates). */
    public producers: ProducerStateManager,
    /** Transactions aborted here, for read_committed fetches (replaced when a follower truncates). */
    public abortedTxns: AbortedTxnIndex,
    init: PartitionInit,
  ) {
    this.leaderEpoch = image.leaderEpoch;
    this.leader = image.leader;
    this.partitionEpoch = image.partitionEpoch;
    this.isr = image.isr;
    this.replicas = image.replicas;
    this.epochs = init.epochs;
    this.epochWriter = init.epochWriter;
    const saved = init.highWatermark ?? log.logStartOffset;
    this.hw = Math.min(Math.max(saved, log.logStartOffset), log.logEndOffset);
  }

  get highWatermark(): number {
    return this.hw;
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /**
   * Last stable offset: the first offset of the earliest open transaction
   * when it is below the high watermark, else the high watermark.
   * read_committed consumers read below it.
   */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset();
    return unstable === null ? this.hw : Math.min(this.hw, unstable);
  }

  /** The ISR the high watermark and acks=all wait for: committed, widened while a change is pending. */
  get maximalIsr(): readonly number[] {
    return this.pendingIsr?.maximal ?? this.isr;
  }

  effectiveMinIsr(minInsyncReplicas: number): number {
    return effectiveMinIsr(minInsyncReplicas, this.replicas.length);
  }

  /** Runs fn after the partition's earlier transitions (role changes, truncations). */
  serially<T>(fn: () => Promise<T> | T): Promise<T> {
    const p = this.queue.then(fn, fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Takes the image's leadership for this node as leader. A new epoch
   * resets what is known of the followers (ISR members start with a full
   * lag window) and records the epoch's start in the epoch cache.
   */
  makeLeader(image: PartitionImage, nowMs: number): boolean {
    const newEpoch = this.role !== 'leader' || image.leaderEpoch !== this.leaderEpoch;
    this.applyImage(image);
    if (!newEpoch) return false;
    this.role = 'leader';
    this.pendingIsr = null;
    this.followers.clear();
    for (const id of image.replicas) {
      if (id === image.leader) continue;
      this.followers.set(id, {
        id,
        brokerEpoch: -1n,
        logEndOffset: -1,
        lastCaughtUpMs: image.isr.includes(id) ? nowMs : 0,
        lastFetchLeaderLogEndOffset: -1,
        lastFetchMs: nowMs,
      });
    }
    this.leaderEpochStartOffset = this.log.logEndOffset;
    if (this.epochs.assign(image.leaderEpoch, this.log.logEndOffset)) void this.persistEpochs();
    return true;
  }

  /** Follows the image's leader (or goes offline without one). Returns whether the leader or epoch changed. */
  makeFollower(image: PartitionImage): boolean {
    const role: ReplicaRole = image.leader < 0 ? 'offline' : 'follower';
    const changed = this.role !== role || image.leaderEpoch !== this.leaderEpoch || image.leader !== this.leader;
    this.applyImage(image);
    if (!changed) return false;
    this.role = role;
    this.pendingIsr = null;
    this.followers.clear();
    this.leaderEpochStartOffset = -1;
    return true;
  }

  private applyImage(image: PartitionImage): void {
    this.leader = image.leader;
    this.leaderEpoch = image.leaderEpoch;
    this.replicas = image.replicas;
    if (image.partitionEpoch >= this.partitionEpoch || image.leaderEpoch !== this.leaderEpoch) {
      this.partitionEpoch = image.partitionEpoch;
      this.isr = image.isr;
      // The committed state moved past what a pending change was based on.
      if (this.pendingIsr && image.partitionEpoch > this.pendingIsr.partitionEpoch) this.pendingIsr = null;
    }
    for (const id of image.replicas) {
      if (id !== image.leader && this.role === 'leader' && !this.followers.has(id)) {
        this.followers.set(id, { id, brokerEpoch: -1n, logEndOffset: -1, lastCaughtUpMs: 0, lastFetchLeaderLogEndOffset: -1, lastFetchMs: 0 });
      }
    }
    for (const id of [...this.followers.keys()]) if (!image.replicas.includes(id)) this.followers.delete(id);
  }

  /** The controller accepted an ISR change (AlterPartition answered for this epoch). */
  commitIsr(isr: readonly number[], partitionEpoch: number): void {
    if (partitionEpoch > this.partitionEpoch) {
      this.isr = isr;
      this.partitionEpoch = partitionEpoch;
    }
    this.pendingIsr = null;
  }

  /** Leader: a follower fetched at fetchOffset. */
  recordFollowerFetch(id: number, brokerEpoch: bigint, fetchOffset: number, nowMs: number): FollowerState | null {
    const prev = this.followers.get(id);
    if (!prev) return null;
    const next: FollowerState = { id, brokerEpoch, ...afterFollowerFetch(prev, fetchOffset, this.log.logEndOffset, nowMs) };
    this.followers.set(id, next);
    return next;
  }

  /** The followers' progress for the pure ISR and watermark functions. */
  followerProgress(eligible: (id: number, brokerEpoch: bigint) => boolean): FollowerProgress[] {
    return [...this.followers.values()].map((f) => ({ id: f.id, logEndOffset: f.logEndOffset, lastCaughtUpMs: f.lastCaughtUpMs, isrEligible: eligible(f.id, f.brokerEpoch) }));
  }

  /** Leader: recomputes the high watermark; true (and waiters woken) when it moved. */
  maybeIncrementHighWatermark(minInsyncReplicas: number, nowMs: number, replicaLagTimeMaxMs: number, eligible: (id: number, brokerEpoch: bigint) => boolean): boolean {
    if (this.role !== 'leader') return false;
    const next = nextHighWatermark({
      leaderLogEndOffset: this.log.logEndOffset,
      highWatermark: this.hw,
      isrSize: this.isr.length,
      maximalIsr: this.maximalIsr,
      effectiveMinIsr: this.effectiveMinIsr(minInsyncReplicas),
      followers: this.followerProgress(eligible),
      nowMs,
      replicaLagTimeMaxMs,
    });
    if (next <= this.hw) return false;
    this.hw = next;
    this.notify(this.hwWaiters);
    return true;
  }

  /** Follower: the leader's high watermark, capped at this log's end. */
  updateFollowerHighWatermark(leaderHw: number): void {
    const next = Math.max(this.log.logStartOffset, Math.min(leaderHw, this.log.logEndOffset));
    if (next === this.hw) return;
    this.hw = next;
    this.notify(this.hwWaiters);
  }

  /** Follower truncation below the high watermark lowers it with the log. */
  lowerHighWatermarkTo(offset: number): void {
    if (offset < this.hw) this.hw = Math.max(offset, this.log.logStartOffset);
  }

  /** Wakes fetches waiting for new data past the log end (followers' long polls). */
  appended(): void {
    this.notify(this.leoWaiters);
  }

  persistEpochs(): Promise<void> {
    return this.epochWriter.write().catch(() => undefined);
  }

  /** Calls fn once, at the next high watermark move (or log end move with `leo`). Returns a cancel function. */
  onceAdvanced(fn: () => void, leo = false): () => void {
    const set = leo ? this.leoWaiters : this.hwWaiters;
    const once = (): void => {
      set.delete(once);
      fn();
    };
    set.add(once);
    return () => set.delete(once);
  }

  private notify(set: Set<() => void>): void {
    for (const w of [...set]) w();
  }

  /** Wakes all waiters (the partition is going away). */
  close(): void {
    this.closed = true;
    this.role = 'offline';
    this.notify(this.hwWaiters);
    this.notify(this.leoWaiters);
    void this.epochWriter.close();
    void this.abortedTxns.close();
  }
}
