/** Option and result types of PartitionLog (kept apart so partition-log.ts stays small). */
import type { AppendPlan } from './append-plan.js';
import type { DeferredDeletes } from './deferred-deletes.js';
import type { HandleCache } from './handle-cache.js';
import type { LogFlusher } from './log-flusher.js';

export interface PartitionLogOptions {
  /** Wall clock in ms (for time-based rolling and flush bookkeeping). */
  readonly now?: () => number;
  /** Read-handle cache, shared by the logs of a LogManager; a private one otherwise. */
  readonly handles?: HandleCache;
  /** Where `.deleted` segment files wait for removal; shared by a LogManager's logs, a private one otherwise. */
  readonly deletes?: DeferredDeletes;
  /** Broker-wide fsync scheduler (a LogManager's); the log group-commits its own fsyncs otherwise. */
  readonly flusher?: LogFlusher;
}

export interface AppendOptions {
  /** Stamp every batch with this LogAppendTime (message.timestamp.type=LogAppendTime). */
  readonly logAppendTimeMs?: number;
  /** Follower append (replication): keep the leader's offsets instead of assigning new ones. */
  readonly keepOffsets?: boolean;
}

export interface AppendResult {
  readonly baseOffset: number;
  readonly lastOffset: number;
  /** Largest batch max timestamp of the append (-1 if none). */
  readonly maxTimestamp: number;
  /** Last offset of the first batch carrying maxTimestamp (batch granularity; -1 if none). */
  readonly offsetOfMaxTimestamp: number;
  /** Log start offset when the append completed (for the produce response). */
  readonly logStartOffset: number;
}

export interface ReadOptions {
  /** Return the first batch whole even when it exceeds maxBytes (default true). */
  readonly minOneBatch?: boolean;
  /** Exclusive upper bound: only batches whose last offset is below it (e.g. the high watermark). */
  readonly maxOffset?: number;
}

export interface ReadResult {
  /** Whole batches; the first one holds the requested offset (its base may be lower). Empty at the end. */
  readonly records: Buffer;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
}

export interface TimestampAndOffset {
  readonly timestamp: number;
  readonly offset: number;
}

/** Bounds of one write group (appends coalesced into one vectored write). */
export const MAX_GROUP_APPENDS = 512;
export const MAX_GROUP_BYTES = 8 * 1024 * 1024;

/** An accepted append waiting for its write. */
export interface PendingAppend {
  readonly buf: Buffer;
  readonly plan: AppendPlan;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/** Appends queued back to back; they share one queue slot and one write per segment. */
export interface AppendGroup {
  readonly appends: PendingAppend[];
  bytes: number;
}
