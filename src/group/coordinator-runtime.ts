/**
 * CoordinatorRuntime: the shell around one GroupShard, i.e. one
 * __consumer_offsets partition this node leads. It owns the shard's single
 * serial queue: every operation (requests, timers, offset expiry, load,
 * unload) runs as one task that
 *
 *   1. decides synchronously on the shard (records, hooks, replies),
 *   2. appends the records to the partition (acks=all) and waits,
 *   3. replays them into the shard and runs the success hooks, or runs the
 *      failure hooks with the error mapped as Kafka maps append errors,
 *   4. delivers the replies the task produced,
 *
 * so no await ever splits a transition and no client hears of state that
 * is not durable. Timers are one setTimeout at the shard's next deadline.
 *
 * Lifecycle: loading (replays the partition from its log start; requests
 * get COORDINATOR_LOAD_IN_PROGRESS) → active → closed (the partition moved
 * or the node stops; parked requests get NOT_COORDINATOR).
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError, toErrorCode } from '../api/error-codes.js';
import { batchPositions, Attr } from '../protocol/record-batch.js';
import { decodeBatch } from '../protocol/records.js';
import { decodeGroupRecord, type GroupRecord } from './group-records.js';
import { GroupOp, type ShardEnv } from './group-op.js';
import { GroupShard } from './group-shard.js';

/** Where the runtime reads its partition from when loading. */
export interface LoadSource {
  readonly logStartOffset: number;
  read(offset: number, maxBytes: number, opts: { minOneBatch: boolean; maxOffset?: number }): Promise<{ records: Buffer }>;
}

export interface RuntimeDeps {
  readonly env: ShardEnv;
  /** Appends records to the partition (acks=all); rejects with a Kafka error on failure. */
  readonly append: (records: readonly GroupRecord[], now: number) => Promise<void>;
  readonly now: () => number;
  readonly log: Logger;
}

/** A failed write, carrying the Kafka error code the client gets. */
export class CoordinatorWriteError extends Error {
  constructor(readonly kafkaErrorCode: number) {
    super(`coordinator write failed with error code ${kafkaErrorCode}`);
    this.name = 'CoordinatorWriteError';
  }
}

/** Kafka's mapping of append errors to what group clients may act on. */
export function mapAppendError(err: unknown, forOffsetCommit: boolean): number {
  const code = toErrorCode(err);
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return forOffsetCommit ? ErrorCode.INVALID_COMMIT_OFFSET_SIZE : ErrorCode.UNKNOWN_SERVER_ERROR;
    default:
      return code;
  }
}

type State = 'loading' | 'active' | 'closed';

export class CoordinatorRuntime {
  readonly shard: GroupShard;
  private state: State = 'loading';
  private queue: Promise<unknown> = Promise.resolve();
  /** Replies produced by the running task, delivered when it ends. */
  private outbox: Array<() => void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(
    readonly partition: number,
    readonly leaderEpoch: number,
    private readonly deps: RuntimeDeps,
  ) {
    this.shard = new GroupShard(partition, deps.env);
  }

  get isActive(): boolean {
    return this.state === 'active';
  }

  get isLoading(): boolean {
    return this.state === 'loading';
  }

  /** Replays the partition from its log start up to endOffset, then serves requests. */
  load(source: LoadSource, endOffset: number, bufferBytes: number): Promise<void> {
    return this.enqueue(async () => {
      const started = this.deps.now();
      let offset = source.logStartOffset;
      let count = 0;
      while (offset < endOffset && this.state === 'loading') {
        const { records: bytes } = await source.read(offset, bufferBytes, { minOneBatch: true, maxOffset: endOffset });
        if (bytes.length === 0) break;
        for (const [pos, size] of batchPositions(bytes)) {
          const batch = await decodeBatch(bytes.subarray(pos, pos + size));
          offset = Number(batch.header.baseOffset) + batch.header.lastOffsetDelta + 1;
          if (batch.header.attributes & Attr.Control) continue;
          for (const r of batch.records) {
            const record = decodeGroupRecord(r.key, r.value);
            if (record) this.shard.replay(record, this.deps.now());
            count++;
          }
        }
      }
      if (this.state !== 'loading') return;
      this.shard.finishLoad(this.deps.now());
      this.state = 'active';
      this.deps.log.info({ partition: this.partition, records: count, groups: this.shard.groups.size, ms: this.deps.now() - started }, 'loaded coordinator partition');
      this.rescheduleTimer();
    });
  }

  /**
   * Runs one operation on the shard's queue (steps 1-4 above). Throws
   * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR when not active, and a
   * CoordinatorWriteError when the append failed.
   */
  run<T>(fn: (shard: GroupShard, op: GroupOp) => T, forOffsetCommit = false): Promise<T> {
    return this.enqueue(async () => {
      if (this.state !== 'active') throw new KafkaError(this.state === 'loading' ? 'COORDINATOR_LOAD_IN_PROGRESS' : 'NOT_COORDINATOR');
      const outbox: Array<() => void> = [];
      this.outbox = outbox;
      try {
        const op = new GroupOp(this.deps.now());
        const result = fn(this.shard, op);
        await this.commit(op, forOffsetCommit);
        return result;
      } finally {
        this.outbox = null;
        for (const deliver of outbox) deliver();
        this.rescheduleTimer();
      }
    });
  }

  /** Reads shard state between operations (reads see only replayed, durable state). */
  read<T>(fn: (shard: GroupShard) => T): T {
    if (this.state !== 'active') throw new KafkaError(this.state === 'loading' ? 'COORDINATOR_LOAD_IN_PROGRESS' : 'NOT_COORDINATOR');
    return fn(this.shard);
  }

  /**
   * Wraps a reply callback handed to the shard: replies made while a task
   * runs wait for that task's append; others go out at once.
   */
  reply<R>(resolve: (response: R) => void): (response: R) => void {
    return (response: R) => {
      if (this.outbox) this.outbox.push(() => resolve(response));
      else resolve(response);
    };
  }

  /** Removes expired offsets and the Empty groups they leave behind. */
  expireOffsets(): Promise<void> {
    return this.run((shard, op) => shard.expireOffsets(op)).catch((err: unknown) => {
      if (this.state === 'active') this.deps.log.warn({ err, partition: this.partition }, 'offset expiration failed');
    });
  }

  /** Stops serving: parked requests are answered with errorCode, timers cancelled. */
  close(errorCode: number = ErrorCode.NOT_COORDINATOR): Promise<void> {
    this.clearTimer();
    const wasLoading = this.state === 'loading';
    this.state = 'closed';
    return this.enqueue(async () => {
      const outbox: Array<() => void> = [];
      this.outbox = outbox;
      try {
        if (!wasLoading) this.shard.unload(errorCode, this.deps.now());
      } finally {
        this.outbox = null;
        for (const deliver of outbox) deliver();
        this.clearTimer();
      }
    });
  }

  private async commit(op: GroupOp, forOffsetCommit: boolean): Promise<void> {
    if (op.records.length > 0) {
      try {
        await this.deps.append(op.records, op.now);
      } catch (err) {
        const code = mapAppendError(err, forOffsetCommit);
        this.deps.log.warn({ err, partition: this.partition, errorCode: code }, 'coordinator write failed');
        const next = new GroupOp(this.deps.now());
        for (const hook of op.onFailure) hook(code, next);
        if (next.records.length > 0) await this.commit(next, false).catch(() => undefined);
        throw new CoordinatorWriteError(code);
      }
      for (const r of op.records) this.shard.replay(r, op.now);
    }
    for (const hook of op.onSuccess) hook();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const p = this.queue.then(task, task);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private rescheduleTimer(): void {
    if (this.state !== 'active') return;
    const next = this.shard.nextDeadline();
    if (next === Infinity) {
      this.clearTimer();
      return;
    }
    if (this.timer && this.timerAt <= next) return;
    this.clearTimer();
    this.timerAt = next;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.run((shard, op) => shard.tick(op)).catch((err: unknown) => {
        if (this.state === 'active') this.deps.log.warn({ err, partition: this.partition }, 'coordinator timer task failed');
      });
    }, Math.max(0, next - this.deps.now()));
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }
}
