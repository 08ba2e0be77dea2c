/**
 * CoordinatorRuntime: the shell around one coordinator shard, i.e. one
 * partition of a coordinator's internal topic that this node leads
 * (__consumer_offsets for groups, __transaction_state for transactions).
 * It is generic over the shard, its record type and its operation type,
 * and owns the shard's single serial queue: every operation (requests,
 * timers, load, unload, transaction markers) runs as one task that
 *
 *   1. decides synchronously on the shard (records, hooks, replies),
 *   2. appends the records to the partition (acks=all) and waits,
 *   3. replays them into the shard, each with its offset, and runs the
 *      success hooks, or runs the failure hooks with the error mapped as
 *      Kafka maps append errors,
 *   4. delivers the replies the task produced,
 *
 * so no await ever splits a transition and no client hears of state that
 * is not durable. Timers are one setTimeout at the shard's next deadline.
 *
 * Transactions: an operation may carry a producer id and epoch; its
 * records are then written as that producer's transactional batch
 * (TxnOffsetCommit), and replayed with the producer id. A commit or abort
 * marker for the partition is written through the queue as well
 * (writeEndMarker) and replayed into the shard, as Kafka's runtime does
 * with scheduleTransactionCompletion.
 *
 * Lifecycle: loading (replays the partition from its log start; requests
 * get COORDINATOR_LOAD_IN_PROGRESS) → active → closed (the partition moved
 * or the node stops; parked requests get NOT_COORDINATOR).
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError, toErrorCode } from '../api/error-codes.js';
import { batchPositions, Attr } from '../protocol/record-batch.js';
import { ControlRecordType } from '../protocol/control-records.js';
import { decodeBatch } from '../protocol/records.js';

/** Where the runtime reads its partition from when loading. */
export interface LoadSource {
  readonly logStartOffset: number;
  read(offset: number, maxBytes: number, opts: { minOneBatch: boolean; maxOffset?: number }): Promise<{ records: Buffer }>;
}

/** The producer a transactional write is made for. */
export interface TxnProducer {
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

/** Where a replayed record sits: its offset, and its producer when it came in a transactional batch (else -1). */
export interface RecordPosition {
  readonly offset: number;
  readonly producerId: bigint;
}

/** One write operation: what the shard decided, and hooks to run after the append. */
export interface RuntimeOp<R, O> {
  readonly now: number;
  readonly records: R[];
  readonly onSuccess: Array<() => void>;
  /** Run when the append failed, with the mapped error code and an op for any follow-up records. */
  readonly onFailure: Array<(errorCode: number, next: O) => void>;
  /** Set for a transactional write: the records go out as this producer's transactional batch. */
  producer: TxnProducer | null;
}

/** What the runtime needs of a shard. */
export interface CoordinatorShard<R, O> {
  replay(record: R, now: number, at?: RecordPosition): void;
  /** A commit or abort marker of a producer was written at offset. */
  replayEndMarker(producerId: bigint, commit: boolean, offset: number): void;
  finishLoad(now: number): void;
  unload(errorCode: number, now: number): void;
  tick(op: O): void;
  nextDeadline(): number;
}

export interface RuntimeDeps<R, O> {
  /** The internal topic, for logs. */
  readonly topic: string;
  readonly newOp: (now: number) => O;
  /** Decodes a record of the partition; null for records this shard skips. */
  readonly decode: (key: Buffer | null, value: Buffer | null) => R | null;
  /** Appends records (acks=all); resolves with the first record's offset, rejects with a Kafka error. */
  readonly append: (records: readonly R[], now: number, producer: TxnProducer | null) => Promise<number>;
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

/** Kafka's mapping of append errors to what coordinator clients may act on. */
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

export class CoordinatorRuntime<S extends CoordinatorShard<R, O>, R, O extends RuntimeOp<R, O>> {
  private state: State = 'loading';
  private queue: Promise<unknown> = Promise.resolve();
  /** Replies produced by the running task, delivered when it ends. */
  private outbox: Array<() => void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  constructor(
    readonly partition: number,
    readonly leaderEpoch: number,
    readonly shard: S,
    private readonly deps: RuntimeDeps<R, O>,
  ) {}

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
          const h = batch.header;
          offset = Number(h.baseOffset) + h.lastOffsetDelta + 1;
          const producerId = h.attributes & Attr.Transactional ? h.producerId : -1n;
          if (h.attributes & Attr.Control) {
            const type = batch.records[0]?.control?.type;
            if (producerId >= 0n && (type === ControlRecordType.Commit || type === ControlRecordType.Abort)) {
              this.shard.replayEndMarker(producerId, type === ControlRecordType.Commit, Number(h.baseOffset));
            }
            continue;
          }
          for (const r of batch.records) {
            const record = this.deps.decode(r.key, r.value);
            if (record) this.shard.replay(record, this.deps.now(), { offset: r.offset, producerId });
            count++;
          }
        }
      }
      if (this.state !== 'loading') return;
      this.shard.finishLoad(this.deps.now());
      this.state = 'active';
      this.deps.log.info({ topic: this.deps.topic, partition: this.partition, records: count, ms: this.deps.now() - started }, 'loaded coordinator partition');
      this.rescheduleTimer();
    });
  }

  /**
   * Runs one operation on the shard's queue (steps 1-4 above). Throws
   * COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR when not active, and a
   * CoordinatorWriteError when the append failed.
   */
  run<T>(fn: (shard: S, op: O) => T, forOffsetCommit = false): Promise<T> {
    return this.enqueue(async () => {
      this.checkActive();
      const outbox: Array<() => void> = [];
      this.outbox = outbox;
      try {
        const op = this.deps.newOp(this.deps.now());
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

  /**
   * Writes a commit or abort marker for a producer to this partition
   * (append is the marker append) and replays it into the shard, on the
   * queue so it orders with the shard's own writes.
   */
  writeEndMarker(producerId: bigint, commit: boolean, append: () => Promise<number>): Promise<void> {
    return this.enqueue(async () => {
      this.checkActive();
      const offset = await append();
      this.shard.replayEndMarker(producerId, commit, offset);
      this.rescheduleTimer();
    });
  }

  /** Reads shard state between operations (reads see only replayed, durable state). */
  read<T>(fn: (shard: S) => T): T {
    this.checkActive();
    return fn(this.shard);
  }

  /**
   * Wraps a reply callback handed to the shard: replies made while a task
   * runs wait for that task's append; others go out at once.
   */
  reply<Res>(resolve: (response: Res) => void): (response: Res) => void {
    return (response: Res) => {
      if (this.outbox) this.outbox.push(() => resolve(response));
      else resolve(response);
    };
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

  private checkActive(): void {
    if (this.state !== 'active') throw new KafkaError(this.state === 'loading' ? 'COORDINATOR_LOAD_IN_PROGRESS' : 'NOT_COORDINATOR');
  }

  private async commit(op: O, forOffsetCommit: boolean): Promise<void> {
    if (op.records.length > 0) {
      let base: number;
      try {
        base = await this.deps.append(op.records, op.now, op.producer);
      } catch (err) {
        const code = mapAppendError(err, forOffsetCommit);
        this.deps.log.warn({ err, topic: this.deps.topic, partition: this.partition, errorCode: code }, 'coordinator write failed');
        const next = this.deps.newOp(this.deps.now());
        for (const hook of op.onFailure) hook(code, next);
        if (next.records.length > 0) await this.commit(next, false).catch(() => undefined);
        throw new CoordinatorWriteError(code);
      }
      const producerId = op.producer?.producerId ?? -1n;
      op.records.forEach((r, i) => this.shard.replay(r, op.now, { offset: base + i, producerId }));
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
        if (this.state === 'active') this.deps.log.warn({ err, topic: this.deps.topic, partition: this.partition }, 'coordinator timer task failed');
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
