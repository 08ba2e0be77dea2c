/**
 * Log-level figures (issue #3): the storage engine alone, in this process,
 * through PartitionLog's public methods, with no broker, network or
 * protocol in the way. Each is compared with the disk ceiling
 * (write + fdatasync in the same filesystem) measured in the same run.
 *
 * Per repeat, on fresh log dirs under cfg.dataRoot with the default log
 * config (1 GiB segments, as the broker's default):
 * - log-append-fsync: `concurrency` appenders (as many as the produce
 *   scenarios keep requests in flight), each appending a prebuilt batch and
 *   then awaiting flush() before its next append, as acks=all with
 *   krill.fsync.before.ack does; concurrent flushes share one fsync (group
 *   commit). Until cfg.logBytes are durable.
 * - log-append-nofsync: the same appends without flush (page cache only);
 *   done when every write completed. The close's fsync is not timed.
 * - log-read-cold: the second log evicted from the page cache (per file, see
 *   page-cache.ts; fincore must confirm), reopened, read from offset 0 to the
 *   end in cfg.fetchBytes reads. Skipped, not faked, when eviction cannot be
 *   confirmed.
 * - log-read-warm: the same read again, the log now in the page cache.
 * - log-recovery: the clean-shutdown marker and the recovery-point
 *   checkpoint removed (as after a crash before any checkpoint), then
 *   PartitionLog.open times the recovery that CRC-checks every batch and
 *   rebuilds the indexes. Page cache warm (a process crash, not a power
 *   loss). The loader's own debug lines must account for every byte of the
 *   log, else the repeat is an error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE } from '../log/checkpoint.js';
import { defaultLogConfig, PartitionLog, type LogConfig } from '../log/index.js';
import { buildStaticBatch, recordsPerBatch } from './batches.js';
import { Histogram } from './histogram.js';
import { coldProblem, planLog, recordsIn, recoveryProblem, scanChunk, type LogPlan } from './log-figures.js';
import { cachedPct, evict, filesUnder } from './page-cache.js';
import { addRepeat, newResult, type ScenarioResult } from './results.js';
import { latencyMetrics, type Metrics, type RunContext } from './run-context.js';
import { mbPerSec, perSec } from './stats.js';

/** Record size of the log scenarios' batches. */
const LOG_RECORD_BYTES = 1024;

export const logSteps = (ctx: RunContext): number => ctx.cfg.repeats * 3;

/** CPU of this process (all threads, libuv's I/O pool included) over a window, percent of one core. */
function cpuPct(start: NodeJS.CpuUsage, elapsedMs: number): number {
  const u = process.cpuUsage(start);
  return elapsedMs > 0 ? ((u.user + u.system) / 1000 / elapsedMs) * 100 : 0;
}

interface AppendRun {
  bytes: number;
  records: number;
  elapsedMs: number;
  fsyncs: number;
  latency: Histogram;
  cpuPct: number;
}

/** Appends plan.batches copies of batch with plan.concurrency appends in flight. */
async function appendAll(log: PartitionLog, batch: Buffer, plan: LogPlan, fsync: boolean): Promise<AppendRun> {
  const latency = new Histogram();
  let started = 0;
  const fsyncsBefore = log.fsyncCount;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const appender = async (): Promise<void> => {
    // append() rewrites the batch's base offset in place: each appender owns a copy.
    const own = Buffer.from(batch);
    while (started < plan.batches) {
      started++;
      const a0 = performance.now();
      await log.append(own);
      if (fsync) await log.flush();
      latency.record((performance.now() - a0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, appender));
  const elapsedMs = performance.now() - t0;
  return { bytes: plan.bytes, records: plan.batches * recordsIn(batch), elapsedMs, fsyncs: log.fsyncCount - fsyncsBefore, latency, cpuPct: cpuPct(cpu0, elapsedMs) };
}

function appendMetrics(r: AppendRun, fsync: boolean): Metrics {
  const m: Metrics = {
    mbPerSec: mbPerSec(r.bytes, r.elapsedMs),
    recordsPerSec: perSec(r.records, r.elapsedMs),
    appendsPerSec: perSec(r.latency.count, r.elapsedMs),
    brokerCpuPct: r.cpuPct,
    errors: 0,
    ...latencyMetrics('append', r.latency),
  };
  if (fsync) {
    m.fsyncsPerSec = perSec(r.fsyncs, r.elapsedMs);
    m.appendsPerFsync = r.fsyncs > 0 ? r.latency.count / r.fsyncs : null;
  }
  return m;
}

/** Reads the whole log from its start in maxBytes reads. */
async function readAll(log: PartitionLog, maxBytes: number): Promise<Metrics> {
  let offset = log.logStartOffset;
  const end = log.logEndOffset;
  let bytes = 0;
  let records = 0;
  let reads = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  while (offset < end) {
    const chunk = scanChunk((await log.read(offset, maxBytes)).records);
    reads++;
    if (chunk.nextOffset === null) throw new Error(`read at offset ${offset} returned no whole batch (log end ${end})`);
    bytes += chunk.bytes;
    records += chunk.records;
    offset = chunk.nextOffset;
  }
  const elapsedMs = performance.now() - t0;
  if (bytes !== log.size) throw new Error(`read ${bytes} bytes, the log holds ${log.size}`);
  return { mbPerSec: mbPerSec(bytes, elapsedMs), recordsPerSec: perSec(records, elapsedMs), readsPerSec: perSec(reads, elapsedMs), brokerCpuPct: cpuPct(cpu0, elapsedMs), errors: 0 };
}

/** A debug logger that adds up the bytes of the segments the loader says it verifies. */
function recoveryWitness(): { logger: pino.Logger; verifiedBytes: () => number } {
  let verified = 0;
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('recovering segment')) continue;
        const entry = JSON.parse(line) as { msg?: string; bytes?: number };
        if (entry.msg === 'recovering segment' && typeof entry.bytes === 'number') verified += entry.bytes;
      }
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), verifiedBytes: () => verified };
}

/** Turns the closed log in dir into a crashed one with no recovery point, reopens it, times the recovery. */
async function recover(dir: string, config: LogConfig, logBytes: number, endOffset: number): Promise<Metrics> {
  await rm(join(dir, CLEAN_SHUTDOWN_FILE), { force: true });
  await rm(join(dir, CHECKPOINT_FILE), { force: true });
  const witness = recoveryWitness();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const log = await PartitionLog.open(dir, config, witness.logger);
  const elapsedMs = performance.now() - t0;
  const cpu = cpuPct(cpu0, elapsedMs);
  const after = log.logEndOffset;
  await log.close();
  const problem = recoveryProblem(witness.verifiedBytes(), logBytes, endOffset, after);
  if (problem !== null) throw new Error(problem);
  return { mbPerSec: mbPerSec(logBytes, elapsedMs), recordsPerSec: perSec(endOffset, elapsedMs), recoveryMs: elapsedMs, brokerCpuPct: cpu, errors: 0 };
}

interface LogResults {
  fsync: ScenarioResult;
  nofsync: ScenarioResult;
  cold: ScenarioResult;
  warm: ScenarioResult;
  recovery: ScenarioResult;
}

function newResults(ctx: RunContext, plan: LogPlan, batchBytes: number, recordsPerBatch: number): LogResults {
  const { cfg } = ctx;
  const mb = (plan.bytes / 1e6).toFixed(0);
  const params = { dataBytes: plan.bytes, batchBytes, recordBytes: LOG_RECORD_BYTES, recordsPerBatch, concurrency: plan.concurrency, segmentBytes: defaultLogConfig.segmentBytes, fetchBytes: cfg.fetchBytes, dir: cfg.dataRoot };
  const r = (name: string, description: string): ScenarioResult => newResult(name, 'log', `in-process PartitionLog: ${description}`, params, 'disk');
  return {
    fsync: r('log-append-fsync', `append ${mb} MB, ${plan.concurrency} appends in flight, each awaits flush() (group-commit fsync, as acks=all)`),
    nofsync: r('log-append-nofsync', `append ${mb} MB, ${plan.concurrency} appends in flight, no fsync (page cache)`),
    cold: r('log-read-cold', `sequential read of ${mb} MB from offset 0 after evicting the log from the page cache`),
    warm: r('log-read-warm', `the same read again, log in the page cache`),
    recovery: r('log-recovery', `reopen ${mb} MB after an unclean stop with recovery point 0 (every batch CRC-checked, indexes rebuilt; page cache warm)`),
  };
}

async function withLogDir<T>(root: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const parent = mkdtempSync(join(root, 'krill-bench-log-'));
  try {
    return await fn(join(parent, 'bench-0'));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

const mbs = (m: Metrics): string => `${(m.mbPerSec ?? 0).toFixed(1)} MB/s`;

async function oneRepeat(ctx: RunContext, res: LogResults, batch: Buffer, plan: LogPlan, i: number): Promise<void> {
  const { cfg, progress } = ctx;
  const config = defaultLogConfig;
  const label = (what: string): string => `log ${what} (${i + 1}/${cfg.repeats})`;
  const step = async (what: string, result: ScenarioResult, fn: () => Promise<string>): Promise<void> => {
    progress.begin(label(what));
    try {
      progress.end(await fn());
    } catch (err) {
      result.errors.push((err as Error).message);
      progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
    }
  };
  await step('append with fsync', res.fsync, () =>
    withLogDir(cfg.dataRoot, async (dir) => {
      const log = await PartitionLog.open(dir, config);
      try {
        const m = addRepeat(res.fsync, appendMetrics(await appendAll(log, batch, plan, true), true));
        return `${mbs(m)}, ${(m.appendsPerFsync ?? 0).toFixed(1)} appends per fsync`;
      } finally {
        await log.close();
      }
    }),
  );
  await withLogDir(cfg.dataRoot, async (dir) => {
    let endOffset = 0;
    let size = 0;
    await step('append without fsync', res.nofsync, async () => {
      const log = await PartitionLog.open(dir, config);
      try {
        const m = addRepeat(res.nofsync, appendMetrics(await appendAll(log, batch, plan, false), false));
        return mbs(m);
      } finally {
        endOffset = log.logEndOffset;
        size = log.size;
        await log.close();
      }
    });
    if (size === 0) return;
    await step('read cold+warm, recovery', res.recovery, async () => {
      const evicted = evict(dir);
      const cached = evicted ? cachedPct(filesUnder(dir)) : null;
      const why = coldProblem(evicted, cached);
      const log = await PartitionLog.open(dir, config);
      let text: string;
      try {
        if (why === null) {
          const c = addRepeat(res.cold, { ...(await readAll(log, cfg.fetchBytes)), cachedAtStartPct: cached });
          text = `cold ${mbs(c)} (${(cached ?? 0).toFixed(0)}% cached at start)`;
        } else {
          res.cold.skipped = why;
          text = why;
        }
        const w = addRepeat(res.warm, await readAll(log, cfg.fetchBytes));
        text += `; warm ${mbs(w)}`;
      } finally {
        await log.close();
      }
      const r = addRepeat(res.recovery, await recover(dir, config, size, endOffset));
      return `${text}; recovery ${mbs(r)}`;
    });
  });
}

export async function runLogScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg } = ctx;
  const perBatch = recordsPerBatch(cfg.batchBytes, LOG_RECORD_BYTES);
  const batch = buildStaticBatch({ recordBytes: LOG_RECORD_BYTES, records: perBatch, compression: 'none' });
  const plan = planLog(cfg.logBytes, batch.length, cfg.workers * cfg.connections * cfg.depth);
  const res = newResults(ctx, plan, batch.length, perBatch);
  for (let i = 0; i < cfg.repeats; i++) await oneRepeat(ctx, res, batch, plan, i);
  return [res.fsync, res.nofsync, res.cold, res.warm, res.recovery];
}
