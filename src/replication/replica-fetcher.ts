/**
 * ReplicaFetcher: one per source broker (Kafka's ReplicaFetcherThread),
 * fetching every partition this node follows on that broker over one
 * connection.
 *
 * A partition joins in the truncating phase: OffsetForLeaderEpoch (v4) for
 * its latest local epoch, then the pure `truncationFor` decides where the
 * log is cut (repeated while the follower lacks the leader's epoch). Then
 * it fetches: Fetch v17 with replicaState {this node, broker epoch},
 * fetchOffset = log end, lastFetchedEpoch = latest local epoch. Fetched
 * batches are appended at the leader's offsets; the next fetch reports the
 * new position, which is how the leader learns it. A diverging epoch in the
 * answer (KIP-320) truncates again; OFFSET_OUT_OF_RANGE below the leader's
 * log start restarts the log there; leadership errors back the partition
 * off for replica.fetch.backoff.ms until the metadata moves it.
 *
 * All changes to a partition's log run on that partition's serial queue,
 * and a response is applied only if the partition still follows this
 * source at the same leader epoch.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../api/error-codes.js';
import type { FetchRequest } from '../protocol/generated/fetch-request.js';
import type { PartitionData } from '../protocol/generated/fetch-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { KafkaClientConnection } from '../platform/kafka-client.js';
import { appendAsFollower, followLogStart, restartFollowerAt, truncateFollower, UnexpectedAppendOffsetError } from './follower-log.js';
import type { EpochEndOffset } from './leader-epoch-cache.js';
import type { Partition } from './partition.js';
import { truncationFor } from './truncation.js';

export interface FetcherConfig {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly partitionMaxBytes: number;
  readonly backoffMs: number;
  readonly requestTimeoutMs: number;
  /** fsync follower appends before reporting them (krill.fsync.before.ack). */
  readonly fsync: boolean;
}

export interface FetcherDeps {
  readonly nodeId: number;
  readonly brokerEpoch: () => bigint;
  readonly endpoint: (brokerId: number) => { host: string; port: number } | null;
  readonly config: FetcherConfig;
  readonly log: Logger;
  /** Fault injection: while true, fetchers send nothing (tests stop replication with it). */
  readonly paused: () => boolean;
}

interface FetchState {
  readonly p: Partition;
  readonly leaderEpoch: number;
  phase: 'truncating' | 'fetching';
  delayedUntil: number;
}

const FETCH_VERSION = 17;
const OFFSET_FOR_LEADER_EPOCH_VERSION = 4;

export class ReplicaFetcher {
  readonly #states = new Map<Partition, FetchState>();
  #conn: KafkaClientConnection | null = null;
  #stopped = false;
  #wake: (() => void) | null = null;
  readonly #loop: Promise<void>;

  constructor(
    readonly sourceId: number,
    private readonly deps: FetcherDeps,
  ) {
    this.#loop = this.#run();
  }

  get size(): number {
    return this.#states.size;
  }

  /** Starts following p on this source at p's current leader epoch (truncating first). */
  add(p: Partition): void {
    this.#states.set(p, { p, leaderEpoch: p.leaderEpoch, phase: 'truncating', delayedUntil: 0 });
    this.#poke();
  }

  remove(p: Partition): void {
    this.#states.delete(p);
  }

  /** Wakes the fetcher (after a pause ends). */
  wake(): void {
    this.#poke();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#states.clear();
    this.#conn?.close();
    this.#poke();
    await this.#loop;
  }

  #poke(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Sleeps up to ms (forever when null), or until poked. */
  #sleep(ms: number | null): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === null ? null : setTimeout(done, ms);
      function done(): void {
        if (timer) clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  #current(s: FetchState): boolean {
    const p = s.p;
    return !this.#stopped && this.#states.get(p) === s && p.role === 'follower' && p.leader === this.sourceId && p.leaderEpoch === s.leaderEpoch && !p.closed;
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const now = Date.now();
      const states = [...this.#states.values()];
      if (states.length === 0) {
        this.#conn?.close();
        this.#conn = null;
        await this.#sleep(null);
        continue;
      }
      const ready = states.filter((s) => s.delayedUntil <= now);
      if (this.deps.paused()) {
        await this.#sleep(null);
        continue;
      }
      if (ready.length === 0) {
        await this.#sleep(Math.min(...states.map((s) => s.delayedUntil)) - now);
        continue;
      }
      try {
        const conn = await this.#connection();
        const truncating = ready.filter((s) => s.phase === 'truncating');
        if (truncating.length > 0) await this.#truncate(conn, truncating);
        const fetching = ready.filter((s) => s.phase === 'fetching' && this.#current(s));
        if (fetching.length > 0) await this.#fetch(conn, fetching);
      } catch (err) {
        if (this.#stopped) break;
        this.deps.log.debug({ source: this.sourceId, err: (err as Error).message }, 'replica fetch failed; reconnecting after a backoff');
        this.#conn?.close();
        this.#conn = null;
        await this.#sleep(this.deps.config.backoffMs);
      }
    }
    this.#conn?.close();
  }

  async #connection(): Promise<KafkaClientConnection> {
    if (this.#conn && !this.#conn.isClosed) return this.#conn;
    const ep = this.deps.endpoint(this.sourceId);
    if (!ep) throw new Error(`no endpoint for broker ${this.sourceId}`);
    this.#conn = await KafkaClientConnection.connect({ host: ep.host, port: ep.port }, `krill-replica-fetcher-${this.deps.nodeId}-${this.sourceId}`, this.deps.config.requestTimeoutMs);
    return this.#conn;
  }

  #delay(s: FetchState, why: string, errorCode?: number): void {
    s.delayedUntil = Date.now() + this.deps.config.backoffMs;
    this.deps.log.debug({ topic: s.p.topic, partition: s.p.index, source: this.sourceId, why, errorCode }, 'backing off a replica fetch');
  }

  async #truncate(conn: KafkaClientConnection, states: FetchState[]): Promise<void> {
    const byTopic = new Map<string, FetchState[]>();
    for (const s of states) byTopic.set(s.p.topic, [...(byTopic.get(s.p.topic) ?? []), s]);
    const res = await conn.request(
      23,
      OFFSET_FOR_LEADER_EPOCH_VERSION,
      {
        replicaId: this.deps.nodeId,
        topics: [...byTopic].map(([topic, ss]) => ({
          topic,
          partitions: ss.map((s) => ({ partition: s.p.index, currentLeaderEpoch: s.leaderEpoch, leaderEpoch: s.p.epochs.latestEpoch })),
        })),
      },
      this.deps.config.requestTimeoutMs,
    );
    for (const t of res.topics) {
      for (const r of t.partitions) {
        const s = byTopic.get(t.topic)?.find((x) => x.p.index === r.partition);
        if (!s || !this.#current(s)) continue;
        if (r.errorCode !== ErrorCode.NONE) {
          this.#delay(s, 'OffsetForLeaderEpoch', r.errorCode);
          continue;
        }
        await this.#truncateTo(s, { epoch: r.leaderEpoch, endOffset: Number(r.endOffset) });
      }
    }
  }

  /** Truncates by the leader's epoch end offset; the partition fetches once the cut is final. */
  async #truncateTo(s: FetchState, leader: EpochEndOffset): Promise<void> {
    const p = s.p;
    await p.serially(async () => {
      if (!this.#current(s)) return;
      const decision = truncationFor({
        leader,
        followerEndFor: (epoch) => {
          const mine = p.epochs.endOffsetFor(epoch, p.log.logEndOffset);
          return mine.endOffset < 0 ? null : mine;
        },
        followerLogEndOffset: p.log.logEndOffset,
        followerHighWatermark: p.highWatermark,
      });
      await truncateFollower(p, decision.offset, this.deps.log);
      s.phase = decision.done ? 'fetching' : 'truncating';
    });
  }

  async #fetch(conn: KafkaClientConnection, states: FetchState[]): Promise<void> {
    const cfg = this.deps.config;
    const byTopic = new Map<string, FetchState[]>();
    for (const s of states) byTopic.set(s.p.topicId, [...(byTopic.get(s.p.topicId) ?? []), s]);
    const req: Input<FetchRequest> = {
      replicaState: { replicaId: this.deps.nodeId, replicaEpoch: this.deps.brokerEpoch() },
      maxWaitMs: cfg.maxWaitMs,
      minBytes: cfg.minBytes,
      maxBytes: cfg.maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topicId, ss]) => ({
        topicId,
        partitions: ss.map((s) => ({
          partition: s.p.index,
          currentLeaderEpoch: s.leaderEpoch,
          fetchOffset: BigInt(s.p.log.logEndOffset),
          lastFetchedEpoch: s.p.epochs.latestEpoch,
          logStartOffset: BigInt(s.p.log.logStartOffset),
          partitionMaxBytes: cfg.partitionMaxBytes,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
    const res = await conn.request(1, FETCH_VERSION, req, cfg.maxWaitMs + cfg.requestTimeoutMs);
    if (res.errorCode !== ErrorCode.NONE) throw new Error(`fetch answered error ${res.errorCode}`);
    for (const t of res.responses) {
      for (const pd of t.partitions) {
        const s = byTopic.get(t.topicId)?.find((x) => x.p.index === pd.partitionIndex);
        if (s && this.#current(s)) await this.#apply(s, pd);
      }
    }
  }

  async #apply(s: FetchState, pd: PartitionData): Promise<void> {
    const p = s.p;
    if (pd.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      await p.serially(async () => {
        if (!this.#current(s)) return;
        const leaderStart = Number(pd.logStartOffset);
        if (leaderStart >= 0 && p.log.logEndOffset < leaderStart) await restartFollowerAt(p, leaderStart, this.deps.log);
        else s.phase = 'truncating';
      });
      return;
    }
    if (pd.errorCode !== ErrorCode.NONE) return this.#delay(s, 'Fetch', pd.errorCode);
    if (pd.divergingEpoch.epoch >= 0) {
      await this.#truncateTo(s, { epoch: pd.divergingEpoch.epoch, endOffset: Number(pd.divergingEpoch.endOffset) });
      return;
    }
    try {
      await p.serially(async () => {
        if (!this.#current(s)) return;
        if (pd.records && pd.records.length > 0) await appendAsFollower(p, pd.records, this.deps.config.fsync);
        p.updateFollowerHighWatermark(Number(pd.highWatermark));
        await followLogStart(p, Number(pd.logStartOffset));
      });
    } catch (err) {
      if (err instanceof UnexpectedAppendOffsetError) {
        s.phase = 'truncating';
        return;
      }
      this.deps.log.warn({ err, topic: p.topic, partition: p.index }, 'appending fetched records failed');
      this.#delay(s, 'append');
    }
  }
}
