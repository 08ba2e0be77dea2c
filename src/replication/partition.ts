/**
 * One partition as this node sees it: its log, its role (this issue: leader
 * of a single-replica ISR), the high watermark, and the waiters of long-poll
 * fetches. The high watermark is the smallest log end offset over the ISR;
 * with the ISR being this node alone it follows the log end offset, and
 * consumers never read past it.
 */
import type { PartitionLog } from '../log/partition-log.js';
import type { PartitionImage } from '../controller/metadata-image.js';
import type { ProducerStateManager } from '../txn/producer-state.js';
import type { AbortedTxnIndex } from '../txn/aborted-txn-index.js';

export class Partition {
  private hw: number;
  private readonly waiters = new Set<() => void>();
  leaderEpoch: number;
  leader: number;
  /** Producer state changed since the last snapshot. */
  producersDirty = false;
  isr: readonly number[];
  replicas: readonly number[];

  constructor(
    readonly topic: string,
    readonly topicId: string,
    readonly index: number,
    readonly log: PartitionLog,
    image: PartitionImage,
    /** Idempotence state: sequences of the producers writing here. */
    readonly producers: ProducerStateManager,
    /** Transactions aborted here, for read_committed fetches. */
    readonly abortedTxns: AbortedTxnIndex,
  ) {
    this.leaderEpoch = image.leaderEpoch;
    this.leader = image.leader;
    this.isr = image.isr;
    this.replicas = image.replicas;
    this.hw = log.logEndOffset;
  }

  get highWatermark(): number {
    return this.hw;
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

  update(image: PartitionImage): void {
    this.leaderEpoch = image.leaderEpoch;
    this.leader = image.leader;
    this.isr = image.isr;
    this.replicas = image.replicas;
  }

  /** Moves the high watermark to the ISR's smallest log end offset (this node alone for now). */
  advanceHighWatermark(): void {
    const leo = this.log.logEndOffset;
    if (leo !== this.hw) {
      this.hw = leo;
      this.notify();
    }
  }

  /** Calls fn once, at the next high watermark move. Returns a cancel function. */
  onceAdvanced(fn: () => void): () => void {
    const once = (): void => {
      this.waiters.delete(once);
      fn();
    };
    this.waiters.add(once);
    return () => this.waiters.delete(once);
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Wakes all waiters (the partition is going away). */
  close(): void {
    this.notify();
    void this.abortedTxns.close();
  }
}
