/**
 * The leader's view of one follower (or observer): how much of the log it is
 * known to hold (`match`), what to send next (`next`), and how to send it.
 *
 * - probe: we do not know where the follower's log diverges. Send one append
 *   at a time (`probeSent` pauses further sends until an answer or a
 *   heartbeat response) and walk `next` back using the follower's hints.
 * - replicate: the follower is keeping up. Stream appends optimistically,
 *   advancing `next` as we send, bounded by `maxInflight` unacknowledged
 *   appends.
 * - snapshot: the follower needs entries we compacted away. Wait for the
 *   snapshot to be acknowledged (or for the retry timeout) before sending
 *   anything else.
 *
 * Invariant: match < next. `match` only grows within a leader's term.
 */
import { invariant } from './types.js';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/** A read-only copy of one peer's progress, for status reports (DescribeQuorum) and tests. */
export interface PeerStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly recentActive: boolean;
}

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** probe: an append is outstanding. */
  probeSent = false;
  /** snapshot: the index of the snapshot sent, and ticks since it was sent. */
  pendingSnapshot = 0;
  snapshotElapsed = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** The highest commit index sent to this follower (in an append or heartbeat). */
  sentCommit = 0;
  /** The follower's last index as it last reported it (for status). */
  reportedLastIndex = 0;
  /** replicate: the last index of each unacknowledged append, oldest first. */
  readonly #inflights: number[] = [];
  readonly #maxInflight: number;

  constructor(next: number, maxInflight: number) {
    invariant(next >= 1, 'next index starts at 1');
    this.next = next;
    this.#maxInflight = maxInflight;
  }

  get inflightCount(): number {
    return this.#inflights.length;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.#reset('probe');
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.#reset('replicate');
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.#reset('snapshot');
    this.pendingSnapshot = snapshotIndex;
  }

  #reset(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotElapsed = 0;
    this.#inflights.length = 0;
  }

  /** An acknowledgement that the follower holds the log through `index`. Returns whether match grew. */
  maybeUpdate(index: number): boolean {
    const updated = index > this.match;
    if (updated) {
      this.match = index;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /**
   * A rejection of the append whose prevLogIndex was `rejected`; `hintNext`
   * is where the leader computed the logs may agree from. Returns false for
   * a stale rejection (one that does not concern what we last sent).
   */
  maybeDecrTo(rejected: number, hintNext: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.becomeProbe();
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hintNext), this.match + 1);
    this.probeSent = false;
    return true;
  }

  /** Record an append just sent whose entries end at `lastIndex` (undefined for an empty append). */
  sentAppend(lastIndex: number | undefined): void {
    if (this.state === 'replicate') {
      if (lastIndex !== undefined) {
        this.next = lastIndex + 1;
        this.#inflights.push(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  /** Acknowledged through `index`: those appends are no longer in flight. */
  freeInflightsTo(index: number): void {
    let n = 0;
    while (n < this.#inflights.length && this.#inflights[n]! <= index) n += 1;
    this.#inflights.splice(0, n);
  }

  /** A heartbeat came back while the window was full: let one more append through (a lost append is then detected). */
  freeFirstInflight(): void {
    this.#inflights.shift();
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.#inflights.length >= this.#maxInflight;
      case 'snapshot':
        return true;
    }
  }
}
