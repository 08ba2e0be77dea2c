/**
 * RaftDriver: the one owner of a node's RaftNode. Everything that touches
 * the node (ticks, messages from peers, proposals, status reads that must be
 * consistent) runs as a synchronous job on its queue; after each batch of
 * jobs the driver drains the node's Ready output in the order the core
 * requires:
 *
 *   1. persist: snapshot, then entries, then term/vote (FileRaftStorage;
 *      fsync'd before anything leaves);
 *   2. send the messages (the transport maps them to Kafka RPCs);
 *   3. restore the state machine from the snapshot, apply committed entries;
 *   4. advance.
 *
 * No job runs while a Ready is being persisted, so no `await` ever splits a
 * state transition. A job's promise resolves once the Ready that followed it
 * is persisted, sent and applied: a vote answered by a job is durable when
 * the caller sees it.
 *
 * Timing: a clock interval ticks the core every `tickMs`; ticks that pile up
 * while a Ready is being persisted are delivered together. A failure to
 * persist is fatal for the driver (as in KRaft, a metadata log that cannot
 * be written stops the controller): every waiting job fails and `onFatal`
 * is called.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { Random } from '../platform/random.js';
import { RaftNode, type RaftStatus } from './raft/node.js';
import type { Message } from './raft/messages.js';
import { NO_NODE, type Entry, type ProposeResult, type Ready, type Snapshot, type SoftState } from './raft/types.js';
import type { FileRaftStorage } from './file-raft-storage.js';

/** What the driver applies committed entries to. */
export interface RaftStateMachine {
  /** Replace the state with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void;
  /** Apply committed entries, in log order (empty data = a leader's term marker). */
  apply(entries: readonly Entry[]): void;
  /** When a snapshot is due: the applied index and its checkpoint bytes. */
  snapshotDue?(): { index: number; bytes: Buffer } | null;
}

export interface RaftTimings {
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly checkQuorumTicks: number;
}

export interface RaftDriverOptions {
  readonly id: number;
  readonly voters: readonly number[];
  readonly storage: FileRaftStorage;
  readonly stateMachine: RaftStateMachine;
  readonly timings: RaftTimings;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  /** Called with every message the core emits, after the Ready it came in is durable. */
  readonly send: (m: Message) => void;
  /** Role or leader changed (after the Ready is durable). */
  readonly onSoftState?: (s: SoftState, term: number) => void;
  readonly onFatal?: (err: unknown) => void;
}

interface Job {
  run(): void;
  done(): void;
  fail(err: unknown): void;
}

export class RaftDriverStoppedError extends Error {
  readonly code = 'KRILL_RAFT_STOPPED';
  constructor(message = 'the Raft driver is stopped') {
    super(message);
  }
}

export class RaftDriver {
  readonly #node: RaftNode;
  readonly #opts: RaftDriverOptions;
  #jobs: Job[] = [];
  #pumping: Promise<void> | null = null;
  #ticker: TimerHandle | null = null;
  #pendingTicks = 0;
  #stopped = false;
  #fatal: unknown = null;
  #changeWaiters: Array<() => void> = [];
  #soft: SoftState = { role: 'follower', leaderId: NO_NODE };

  constructor(opts: RaftDriverOptions) {
    this.#opts = opts;
    const self = opts.voters.includes(opts.id);
    this.#node = new RaftNode({
      id: opts.id,
      voters: opts.voters,
      observers: self ? [] : [opts.id],
      electionTicks: opts.timings.electionTicks,
      heartbeatTicks: opts.timings.heartbeatTicks,
      checkQuorumTicks: opts.timings.checkQuorumTicks,
      random: opts.random,
      storage: opts.storage,
      // Apply in big steps: a proposal is applied whole (it may be 10,000 records).
      maxCommittedEntriesPerReady: 1_000_000,
      maxUncommittedEntries: 1_000_000,
    });
  }

  get id(): number {
    return this.#opts.id;
  }

  get isVoter(): boolean {
    return this.#opts.voters.includes(this.#opts.id);
  }

  get voters(): readonly number[] {
    return this.#opts.voters;
  }

  /** Starts ticking. A quorum of one (this node alone) elects itself at once. */
  start(): void {
    if (this.#ticker || this.#stopped) return;
    this.#ticker = this.#opts.clock.setInterval(() => this.#onTick(), this.#opts.timings.tickMs);
    if (this.#opts.voters.length === 1 && this.#opts.voters[0] === this.#opts.id) {
      void this.submit(() => this.#node.campaign()).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#ticker?.cancel();
    this.#ticker = null;
    await this.#pumping;
    const err = new RaftDriverStoppedError();
    for (const j of this.#jobs.splice(0)) j.fail(err);
    this.#wakeChangeWaiters();
  }

  get stopped(): boolean {
    return this.#stopped || this.#fatal !== null;
  }

  /**
   * Runs fn on the owner queue with the node; resolves with its result once
   * the Ready that followed it has been persisted, sent and applied.
   */
  submit<T>(fn: (node: RaftNode) => T): Promise<T> {
    if (this.#fatal !== null) return Promise.reject(this.#fatal);
    if (this.#stopped) return Promise.reject(new RaftDriverStoppedError());
    return new Promise<T>((resolve, reject) => {
      let result: T;
      this.#jobs.push({
        run: () => {
          result = fn(this.#node);
        },
        done: () => resolve(result),
        fail: reject,
      });
      this.#kick();
    });
  }

  /** Step a message from a peer. */
  step(m: Message): Promise<void> {
    return this.submit((n) => n.step(m));
  }

  /** Propose entries; resolves once they are durable here (not committed). */
  propose(data: readonly Uint8Array[]): Promise<ProposeResult> {
    return this.submit((n) => n.propose(data));
  }

  /** A consistent status read (outside jobs, `peekStatus` is enough for most uses). */
  peekStatus(): RaftStatus {
    return this.#node.status();
  }

  get softState(): SoftState {
    return this.#soft;
  }

  /** Resolves at the next processed Ready (new entries, commit, role) or after timeoutMs. */
  waitForChange(timeoutMs: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const wake = (): void => {
        timer?.cancel();
        resolve();
      };
      this.#changeWaiters.push(wake);
      timer = this.#opts.clock.setTimeout(() => {
        const i = this.#changeWaiters.indexOf(wake);
        if (i >= 0) this.#changeWaiters.splice(i, 1);
        resolve();
      }, timeoutMs);
    });
  }

  #wakeChangeWaiters(): void {
    const waiters = this.#changeWaiters;
    this.#changeWaiters = [];
    for (const w of waiters) w();
  }

  #onTick(): void {
    if (this.stopped) return;
    this.#pendingTicks += 1;
    if (this.#pendingTicks > 1) return; // a tick job is already queued; it delivers all pending ticks
    void this.submit((n) => {
      const ticks = this.#pendingTicks;
      this.#pendingTicks = 0;
      for (let i = 0; i < ticks; i++) n.tick();
    }).catch(() => undefined);
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = this.#pump().finally(() => {
      this.#pumping = null;
      if (this.#jobs.length > 0 && !this.stopped) this.#kick();
    });
  }

  async #pump(): Promise<void> {
    while (this.#jobs.length > 0 && this.#fatal === null) {
      const batch = this.#jobs;
      this.#jobs = [];
      const ran: Job[] = [];
      for (const job of batch) {
        try {
          job.run();
          ran.push(job);
        } catch (err) {
          job.fail(err);
        }
      }
      try {
        await this.#drainReady();
      } catch (err) {
        this.#die(err, ran);
        return;
      }
      for (const job of ran) job.done();
    }
  }

  async #drainReady(): Promise<void> {
    const node = this.#node;
    const storage = this.#opts.storage;
    while (node.hasReady()) {
      const rd: Ready = node.ready();
      const term = rd.hardState?.term ?? storage.hardState.term;
      if (rd.softState) storage.noteLeader(term, rd.softState.leaderId);
      await storage.persist(rd, rd.softState?.leaderId ?? this.#soft.leaderId);
      for (const m of rd.messages) this.#opts.send(m);
      if (rd.snapshot) this.#opts.stateMachine.restore(rd.snapshot);
      if (rd.committedEntries.length > 0) this.#opts.stateMachine.apply(rd.committedEntries);
      node.advance(rd);
      if (rd.softState) {
        this.#soft = rd.softState;
        this.#opts.onSoftState?.(rd.softState, node.status().term);
      }
      this.#wakeChangeWaiters();
    }
    const due = this.#opts.stateMachine.snapshotDue?.();
    if (due) {
      await storage.compact(due.index, due.bytes);
      this.#opts.logger.info({ index: due.index, bytes: due.bytes.length }, 'metadata snapshot written');
    }
  }

  #die(err: unknown, ran: Job[]): void {
    this.#fatal = err;
    this.#ticker?.cancel();
    this.#ticker = null;
    this.#opts.logger.error({ err }, 'the Raft driver failed: the controller stops');
    for (const j of [...ran, ...this.#jobs.splice(0)]) j.fail(err);
    this.#wakeChangeWaiters();
    this.#opts.onFatal?.(err);
  }
}
