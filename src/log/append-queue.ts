/**
 * The write side of a PartitionLog's appends. Offsets are assigned by the
 * log when it accepts an append; the bytes are written later on the log's
 * serial queue. Appends accepted while no write group is waiting open one
 * (one queue slot); later ones join it until it starts writing or reaches
 * its bounds, so a burst of appends costs one slot and, per segment, one
 * vectored write. A roll in between splits the group. Each append settles
 * once its own bytes are written (into the page cache: see Segment.append).
 */
import type { AppendPlan } from './append-plan.js';
import type { LogConfig } from './log-config.js';
import { type AppendGroup, MAX_GROUP_APPENDS, MAX_GROUP_BYTES, type PendingAppend } from './partition-log-types.js';
import { shouldRoll } from './roll-policy.js';
import type { Segment } from './segment.js';
import type { SerialQueue } from './serial-queue.js';

/** What the append queue needs of its log. */
export interface AppendSink {
  readonly queue: SerialQueue;
  /** The segment appends go to now. */
  active(): Segment;
  config(): LogConfig;
  now(): number;
  /** Seals the active segment and starts a new one at baseOffset. */
  roll(baseOffset: number): Promise<Segment>;
  /** Appends up to lastOffset are written. */
  written(lastOffset: number): void;
  /** Runs the I/O; a failure marks the log failed (and rethrows). */
  guard<T>(io: () => Promise<T>): Promise<T>;
}

export class AppendQueue {
  readonly #sink: AppendSink;
  /** The group still accepting appends (it has not started writing), if any. */
  #open: AppendGroup | null = null;

  constructor(sink: AppendSink) {
    this.#sink = sink;
  }

  /** Adds an accepted append to the open group, or opens a new group on the queue. */
  enqueue(append: PendingAppend): void {
    let group = this.#open;
    if (group === null || group.appends.length >= MAX_GROUP_APPENDS || group.bytes + append.plan.bytes > MAX_GROUP_BYTES) {
      const fresh: AppendGroup = { appends: [], bytes: 0 };
      this.#open = fresh;
      group = fresh;
      void this.#sink.queue.run(() => {
        if (this.#open === fresh) this.#open = null;
        return writeGroup(this.#sink, fresh.appends);
      });
    }
    group.appends.push(append);
    group.bytes += append.plan.bytes;
  }

  /** Later appends go after whatever the log queues next (a truncation, a deletion). */
  cut(): void {
    this.#open = null;
  }
}

/**
 * Writes a group: consecutive appends that fit the active segment go out
 * in one vectored write; a roll in between splits the group.
 */
async function writeGroup(sink: AppendSink, appends: readonly PendingAppend[]): Promise<void> {
  let settled = 0;
  try {
    await sink.guard(async () => {
      let seg = sink.active();
      let run: PendingAppend[] = [];
      let runBytes = 0;
      const writeRun = async (): Promise<void> => {
        if (run.length === 0) return;
        await seg.append(run.map((a) => ({ buf: a.buf, batches: a.plan.batches })));
        sink.written((run[run.length - 1] as PendingAppend).plan.lastOffset);
        for (const a of run) a.resolve();
        settled += run.length;
        run = [];
        runBytes = 0;
      };
      for (const a of appends) {
        if (rollDue(sink, seg, a.plan, run, runBytes)) {
          await writeRun();
          seg = await sink.roll(a.plan.baseOffset);
        }
        run.push(a);
        runBytes += a.plan.bytes;
      }
      await writeRun();
    });
  } catch (err) {
    for (const a of appends.slice(settled)) a.reject(err);
  }
}

function rollDue(sink: AppendSink, seg: Segment, plan: AppendPlan, pending: readonly PendingAppend[], pendingBytes: number): boolean {
  return shouldRoll(
    {
      segmentBaseOffset: seg.baseOffset,
      segmentBytes: seg.size,
      pendingBytes,
      indexFull: seg.indexFull,
      rollBaseTimestamp: seg.rollBaseTimestamp ?? pending[0]?.plan.batches[0]?.maxTimestamp ?? null,
      segmentCreatedMs: seg.createdMs,
      nowMs: sink.now(),
      appendBytes: plan.bytes,
      appendLastOffset: plan.lastOffset,
      appendMaxTimestamp: plan.maxTimestamp,
    },
    sink.config(),
  );
}
