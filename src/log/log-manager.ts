/**
 * LogManager: the partition logs of this broker across its log dirs.
 *
 * A partition lives in `<logDir>/<topic>-<partition>`; topic names may
 * contain '-' and '.', so the name splits on the last '-'. New partitions go
 * to the log dir holding the fewest. All logs share one bounded cache of
 * `.log` file handles (reads, appends and fsyncs borrow from it, so the
 * descriptors held stay bounded however many partitions there are) and one
 * fsync scheduler (LogFlusher): a pipelined group commit per log, with a
 * broker-wide bound on the fsyncs in flight.
 *
 * Periodic work is driven from outside, so no timer hides in here:
 * `flushDue` (flush.ms), `cleanupDue` (retention, every
 * log.retention.check.interval.ms), `cleanDue` (compaction, every
 * log.cleaner.backoff.ms; a log whose kept tombstones have passed
 * delete.retention.ms is cleaned even when not dirty, as Kafka does since
 * KIP-534). Both of the latter also remove the `.deleted`
 * files whose file.delete.delay.ms has passed. Each runs one round at a
 * time; a call while its previous round runs returns at once.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { DuplicateLogDirError, InvalidPartitionNameError, LogClosedError } from './errors.js';
import { HandleCache } from './handle-cache.js';
import { type LogConfig, resolveLogConfig } from './log-config.js';
import { readCleanerCheckpoint, writeCleanerCheckpoint } from './cleaner-checkpoint.js';
import { cleanLog, type CleanStats } from './cleaner.js';
import { DeferredDeletes } from './deferred-deletes.js';
import { LogFlusher } from './log-flusher.js';
import { PartitionLog } from './partition-log.js';
import { applyRetention } from './retention.js';

export interface LogManagerOptions {
  readonly logDirs: readonly string[];
  readonly defaultConfig: LogConfig;
  readonly logger?: Logger;
  /** Bound on idle read handles kept open across all logs (default 1000). */
  readonly maxOpenReadHandles?: number;
  /** Logs opened (and recovered) in parallel at startup (default 8). */
  readonly openConcurrency?: number;
  readonly now?: () => number;
  /** Directories in the log dirs that are not partition logs of this manager (e.g. the metadata log). */
  readonly exclude?: (dirName: string) => boolean;
  /** Most keys the cleaner maps in one pass over a log (default 1,000,000). */
  readonly cleanerMaxMapEntries?: number;
}

/** A partition's upper bound for retention (its high watermark) or cleaning (its last stable offset); undefined skips the log. */
export type HighWatermarkOf = (topic: string, partition: number) => number | undefined;

export interface RetentionRound {
  /** Logs whose old segments were deleted. */
  readonly logs: number;
  readonly segmentsDeleted: number;
}

export interface TopicPartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly logDir: string;
  readonly log: PartitionLog;
}

/** Logs closed at once on shutdown. */
const CLOSE_CONCURRENCY = 32;

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;

export function partitionDirName(topic: string, partition: number): string {
  if (!LEGAL_TOPIC.test(topic) || topic === '.' || topic === '..') {
    throw new InvalidPartitionNameError(`illegal topic name ${JSON.stringify(topic)}`);
  }
  if (!Number.isSafeInteger(partition) || partition < 0 || partition > 0x7fffffff) {
    throw new InvalidPartitionNameError(`illegal partition ${partition}`);
  }
  return `${topic}-${partition}`;
}

/** `<topic>-<partition>` split on the last '-'; null for anything else (e.g. `-delete` dirs). */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const topic = name.slice(0, dash);
  const digits = name.slice(dash + 1);
  if (!/^(0|[1-9]\d{0,9})$/.test(digits)) return null;
  const partition = Number(digits);
  if (partition > 0x7fffffff || !LEGAL_TOPIC.test(topic) || topic === '.' || topic === '..') return null;
  return { topic, partition };
}

export class LogManager {
  readonly #logDirs: readonly string[];
  readonly #defaultConfig: LogConfig;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #concurrency: number;
  readonly #exclude: (dirName: string) => boolean;
  readonly #handles: HandleCache;
  readonly #logs = new Map<string, TopicPartitionLog>();
  readonly #pending = new Map<string, { readonly promise: Promise<PartitionLog>; readonly logDir: string }>();
  readonly #deletes = new DeferredDeletes();
  readonly #flusher = new LogFlusher();
  readonly #cleanerCheckpoints = new WeakMap<PartitionLog, number | null>();
  /** When kept tombstones of a log may be removed (a cleaning is then due even without dirty data). */
  readonly #tombstoneHorizons = new WeakMap<PartitionLog, number>();
  readonly #cleanerMaxMapEntries: number;
  #retentionRound: Promise<RetentionRound> | null = null;
  #cleanerRound: Promise<CleanStats[]> | null = null;
  #closed = false;

  constructor(options: LogManagerOptions) {
    if (options.logDirs.length === 0) throw new InvalidPartitionNameError('no log dirs configured');
    this.#logDirs = [...options.logDirs];
    this.#defaultConfig = resolveLogConfig({}, options.defaultConfig);
    this.#logger = options.logger ?? pino({ level: 'silent' });
    this.#now = options.now ?? Date.now;
    this.#concurrency = Math.max(1, options.openConcurrency ?? 8);
    this.#exclude = options.exclude ?? (() => false);
    this.#handles = new HandleCache(options.maxOpenReadHandles ?? 1000);
    this.#cleanerMaxMapEntries = options.cleanerMaxMapEntries ?? 1_000_000;
  }

  get handleCache(): HandleCache {
    return this.#handles;
  }

  /** The broker-wide fsync scheduler every log's flush() goes through. */
  get flusher(): LogFlusher {
    return this.#flusher;
  }

  /** Opens every partition log found in the log dirs, recovering as needed. */
  async open(): Promise<void> {
    this.#checkOpen();
    const found: Array<{ topic: string; partition: number; logDir: string }> = [];
    const seen = new Map<string, string>();
    for (const logDir of this.#logDirs) {
      await mkdir(logDir, { recursive: true });
      for (const entry of await readdir(logDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || this.#exclude(entry.name)) continue;
        const parsed = parsePartitionDirName(entry.name);
        if (parsed === null) {
          this.#logger.debug({ logDir, name: entry.name }, 'ignoring directory that names no partition');
          continue;
        }
        const earlier = seen.get(entry.name);
        if (earlier !== undefined) throw new DuplicateLogDirError(join(earlier, entry.name), join(logDir, entry.name));
        seen.set(entry.name, logDir);
        found.push({ ...parsed, logDir });
      }
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < found.length) {
        const item = found[next++] as (typeof found)[number];
        const name = partitionDirName(item.topic, item.partition);
        if (this.#logs.has(name)) continue;
        const log = await this.#openLog(join(item.logDir, name), this.#defaultConfig, item.topic, item.partition);
        this.#logs.set(name, { ...item, log });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, found.length) }, worker));
    this.#logger.info({ logDirs: this.#logDirs, partitions: this.#logs.size }, 'log manager opened');
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.#logs.get(partitionDirName(topic, partition))?.log;
  }

  /**
   * The log of topic-partition, created in the least loaded log dir when
   * absent. A given config (merged over the default) also updates an existing log.
   */
  getOrCreate(topic: string, partition: number, config?: Partial<LogConfig>): Promise<PartitionLog> {
    let name: string;
    let resolved: LogConfig;
    try {
      this.#checkOpen();
      name = partitionDirName(topic, partition);
      resolved = resolveLogConfig(config ?? {}, this.#defaultConfig);
    } catch (err) {
      return Promise.reject(err);
    }
    const existing = this.#logs.get(name);
    if (existing !== undefined) {
      if (config !== undefined) existing.log.updateConfig(resolved);
      return Promise.resolve(existing.log);
    }
    const pending = this.#pending.get(name);
    if (pending !== undefined) return pending.promise;
    const logDir = this.#leastLoadedDir();
    const opening = this.#openLog(join(logDir, name), resolved, topic, partition)
      .then((log) => {
        this.#logs.set(name, { topic, partition, logDir, log });
        this.#logger.info({ topic, partition, logDir }, 'created partition log');
        return log;
      })
      .finally(() => this.#pending.delete(name));
    this.#pending.set(name, { promise: opening, logDir });
    return opening;
  }

  /** Closes and removes the partition's log directory. Returns whether it existed. */
  async delete(topic: string, partition: number): Promise<boolean> {
    const name = partitionDirName(topic, partition);
    await this.#pending.get(name)?.promise.catch(() => undefined);
    const entry = this.#logs.get(name);
    if (entry === undefined) return false;
    this.#logs.delete(name);
    await entry.log.deleteLog();
    this.#logger.info({ topic, partition, logDir: entry.logDir }, 'deleted partition log');
    return true;
  }

  all(): TopicPartitionLog[] {
    return [...this.#logs.values()];
  }

  /** Flushes every log with unflushed data older than its flush.ms; returns how many were flushed. */
  async flushDue(nowMs = this.#now()): Promise<number> {
    const due = this.all().filter(
      ({ log }) => !log.isClosed && log.unflushedMessages > 0 && nowMs - log.lastFlushMs >= log.config.flushIntervalMs,
    );
    await Promise.all(due.map(({ log }) => log.flush()));
    return due.length;
  }

  /**
   * Retention over every log (retention.ms, retention.bytes, segments below
   * the log start offset), then removal of due `.deleted` files.
   */
  cleanupDue(nowMs = this.#now(), highWatermark?: HighWatermarkOf): Promise<RetentionRound> {
    if (this.#retentionRound !== null) return Promise.resolve({ logs: 0, segmentsDeleted: 0 });
    const round = this.#retain(nowMs, highWatermark).finally(() => {
      this.#retentionRound = null;
    });
    this.#retentionRound = round;
    return round;
  }

  async #retain(nowMs: number, highWatermark?: HighWatermarkOf): Promise<RetentionRound> {
    let logs = 0;
    let segmentsDeleted = 0;
    for (const { topic, partition, log } of this.all()) {
      const hw = highWatermark === undefined ? log.logEndOffset : highWatermark(topic, partition);
      if (hw === undefined || log.isClosed) continue;
      try {
        const plan = await applyRetention(log, nowMs, hw);
        if (plan === null) continue;
        logs++;
        segmentsDeleted += plan.deleteCount;
        this.#logger.info({ topic, partition, reason: plan.reason, segments: plan.deleteCount, logStartOffset: plan.newLogStartOffset }, 'retention deleted old segments');
      } catch (err) {
        if (!log.isClosed) this.#logger.warn({ topic, partition, err }, 'retention check failed; retrying next round');
      }
    }
    await this.deleteDue(nowMs);
    return { logs, segmentsDeleted };
  }

  /**
   * One cleaner round: compacts every log with cleanup.policy=compact whose
   * dirty ratio (or max.compaction.lag.ms) calls for it, one log at a time,
   * and checkpoints how far each got. Then removes due `.deleted` files.
   */
  cleanDue(nowMs = this.#now(), highWatermark?: HighWatermarkOf): Promise<CleanStats[]> {
    if (this.#cleanerRound !== null) return Promise.resolve([]);
    const round = this.#clean(nowMs, highWatermark).finally(() => {
      this.#cleanerRound = null;
    });
    this.#cleanerRound = round;
    return round;
  }

  async #clean(nowMs: number, highWatermark?: HighWatermarkOf): Promise<CleanStats[]> {
    const done: CleanStats[] = [];
    for (const { topic, partition, log } of this.all()) {
      if (this.#closed) break;
      if (log.isClosed || !log.config.cleanupPolicy.compact) continue;
      const hw = highWatermark === undefined ? log.logEndOffset : highWatermark(topic, partition);
      if (hw === undefined) continue;
      try {
        let checkpoint = this.#cleanerCheckpoints.get(log);
        if (checkpoint === undefined) checkpoint = await readCleanerCheckpoint(log.dir);
        this.#cleanerCheckpoints.set(log, checkpoint);
        const horizon = this.#tombstoneHorizons.get(log);
        const outcome = await cleanLog(log, {
          nowMs,
          highWatermark: hw,
          checkpoint,
          maxMapEntries: this.#cleanerMaxMapEntries,
          logger: this.#logger.child({ component: 'log-cleaner', topic, partition }),
          stopped: () => this.#closed,
          force: horizon !== undefined && horizon <= nowMs,
        });
        if (outcome.kind === 'aborted') this.#logger.debug({ topic, partition, reason: outcome.reason }, 'cleaning aborted; retrying next round');
        if (outcome.kind !== 'cleaned') continue;
        await writeCleanerCheckpoint(log.dir, outcome.stats.endOffset);
        this.#cleanerCheckpoints.set(log, outcome.stats.endOffset);
        const next = outcome.stats.tombstoneHorizonMs;
        if (next === null) this.#tombstoneHorizons.delete(log);
        else this.#tombstoneHorizons.set(log, next);
        done.push(outcome.stats);
      } catch (err) {
        if (!log.isClosed) this.#logger.error({ topic, partition, err }, 'cleaning a log failed; retrying next round');
      }
    }
    await this.deleteDue(nowMs);
    return done;
  }

  /** Removes `.deleted` segment files whose file.delete.delay.ms has passed. */
  async deleteDue(nowMs = this.#now()): Promise<number> {
    try {
      return await this.#deletes.runDue(nowMs);
    } catch (err) {
      this.#logger.warn({ err }, 'removing deleted segment files failed');
      return 0;
    }
  }

  /** Closes every log cleanly (each writes its clean-shutdown marker). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#cleanerRound?.catch(() => undefined);
    await this.#retentionRound?.catch(() => undefined);
    await Promise.all([...this.#pending.values()].map((p) => p.promise.catch(() => undefined)));
    // Bounded: each close writes index files and syncs (descriptors, thread pool).
    const logs = this.all();
    const results: Array<PromiseSettledResult<void>> = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < logs.length) {
        const { log } = logs[next++] as TopicPartitionLog;
        results.push(await log.close().then(
          () => ({ status: 'fulfilled', value: undefined }) as const,
          (reason: unknown) => ({ status: 'rejected', reason }) as const,
        ));
      }
    };
    await Promise.all(Array.from({ length: Math.min(CLOSE_CONCURRENCY, logs.length) }, worker));
    await this.#handles.closeAll();
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      this.#logger.error({ failures: failed.length }, 'some logs failed to close cleanly');
      throw failed[0]?.reason;
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new LogClosedError('log manager');
  }

  #leastLoadedDir(): string {
    const counts = new Map<string, number>(this.#logDirs.map((d) => [d, 0]));
    for (const { logDir } of this.#logs.values()) counts.set(logDir, (counts.get(logDir) ?? 0) + 1);
    // Partitions being created count too, so a burst spreads out.
    for (const { logDir } of this.#pending.values()) counts.set(logDir, (counts.get(logDir) ?? 0) + 1);
    let best = this.#logDirs[0] as string;
    for (const d of this.#logDirs) if ((counts.get(d) ?? 0) < (counts.get(best) ?? 0)) best = d;
    return best;
  }

  #openLog(dir: string, config: LogConfig, topic: string, partition: number): Promise<PartitionLog> {
    const logger = this.#logger.child({ component: 'log', topic, partition });
    return PartitionLog.open(dir, config, logger, { now: this.#now, handles: this.#handles, deletes: this.#deletes, flusher: this.#flusher });
  }
}
