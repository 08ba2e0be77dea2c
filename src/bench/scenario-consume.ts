/**
 * Consume throughput from a cold and from a warm log, for each record size.
 *
 * The data (cfg.consumeBytes of records over cfg.partitions partitions) is
 * produced once. Each repeat then stops the broker, drops the log files from
 * the page cache (fdatasync, then `dd iflag=nocache count=0`, which asks the
 * kernel to forget the file's cached pages, no root needed), starts a fresh
 * broker process on the same log dir and reads everything (cold: fresh
 * process, data on disk), then reads everything again (warm: same process,
 * data in the page cache). `fincore` tells how much was still cached when
 * the cold read started; without dd or fincore the figure is reported null.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createTopic, endOffsets, waitTopicReady, withConnection } from './admin.js';
import { recordsPerBatch } from './batches.js';
import { cachedPct, evict, filesUnder } from './page-cache.js';
import { ProcSampler } from './proc-stats.js';
import { addRepeat, newResult, sizeLabel, type ScenarioResult } from './results.js';
import { liveRate, splitPartitions, throughputMetrics, totals, withBrokerOn, type Metrics, type RunContext, type BrokerRun } from './run-context.js';
import { TOPIC } from './scenario-produce.js';

interface Prepared {
  ends: number[];
  records: number;
}

async function prepare(ctx: RunContext, name: string, logDir: string, recordBytes: number): Promise<Prepared> {
  const { cfg } = ctx;
  return withBrokerOn(ctx, `${name}-prepare`, logDir, {}, async ({ target }) => {
    await withConnection(target.host, target.port, async (c) => {
      await createTopic(c, TOPIC, cfg.partitions);
      await waitTopicReady(c, TOPIC, cfg.partitions);
    });
    const perBatch = recordsPerBatch(cfg.batchBytes, recordBytes);
    const groups = splitPartitions(cfg.partitions, cfg.workers);
    const totalRecords = Math.ceil(cfg.consumeBytes / recordBytes);
    const workers = await ctx.pool.take(groups.length);
    const live = liveRate(ctx);
    const far = Date.now() + 30 * 60_000;
    await Promise.all(
      groups.map((partitions, i) =>
        workers[i].run(
          {
            kind: 'produce',
            target,
            topic: TOPIC,
            partitions,
            connections: cfg.connections,
            depth: cfg.depth,
            partitionsPerRequest: cfg.partitionsPerRequest,
            acks: 1,
            shape: { recordBytes, recordsPerBatch: perBatch, compression: cfg.compression, compressible: cfg.compressible },
            measureStartMs: Date.now(),
            measureEndMs: far,
            stopAfterRecords: Math.ceil(totalRecords / groups.length),
          },
          { onProgress: live.hook(i) },
        ),
      ),
    );
    const ends = await withConnection(target.host, target.port, (c) => endOffsets(c, TOPIC, cfg.partitions));
    return { ends, records: ends.reduce((a, b) => a + b, 0) };
  });
}

async function readAll(ctx: RunContext, run: BrokerRun, ends: number[]): Promise<Metrics> {
  const { cfg } = ctx;
  const groups = splitPartitions(cfg.partitions, cfg.workers);
  const workers = await ctx.pool.take(groups.length);
  const live = liveRate(ctx);
  const sampler = new ProcSampler(run.broker.pid);
  sampler.start();
  const outcomes = await Promise.all(
    groups.map((ps, i) =>
      workers[i].run(
        {
          kind: 'consume',
          target: run.target,
          topic: TOPIC,
          partitions: ps.map((p) => ({ partition: p, endOffset: ends[p] })),
          connections: cfg.connections,
          depth: cfg.depth,
          partitionMaxBytes: cfg.fetchBytes,
        },
        { onProgress: live.hook(i) },
      ),
    ),
  );
  const t = totals(outcomes);
  const m = throughputMetrics(t, sampler.stop());
  if (t.firstError) throw new Error(`${t.errors} errors, first: ${t.firstError}`);
  const expected = ends.reduce((a, b) => a + b, 0);
  if (t.records !== expected) throw new Error(`read ${t.records} records, expected ${expected}`);
  return { ...m, fetches: t.extra.fetches ?? null };
}

export async function runConsumeScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const out: ScenarioResult[] = [];
  for (const size of cfg.recordSizes) {
    const s = sizeLabel(size);
    const params = { recordBytes: size, partitions: cfg.partitions, workers: cfg.workers, connectionsPerWorker: cfg.connections, depth: cfg.depth, fetchBytes: cfg.fetchBytes, dataBytes: cfg.consumeBytes };
    const cold = newResult(`consume-${s}-cold`, 'consume', `read ${(cfg.consumeBytes / 1e6).toFixed(0)} MB of ${s} records: fresh broker, log evicted from the page cache`, params, 'loopback');
    const warm = newResult(`consume-${s}-warm`, 'consume', `read the same again: same broker, log in the page cache`, params, 'loopback');
    out.push(cold, warm);
    const logDir = mkdtempSync(join(cfg.dataRoot, 'krill-bench-'));
    try {
      progress.begin(`consume-${s}: preparing ${(cfg.consumeBytes / 1e6).toFixed(0)} MB`);
      const prepared = await prepare(ctx, `consume-${s}`, logDir, size);
      progress.end(`${prepared.records.toLocaleString('en-US')} records in ${cfg.partitions} partitions`);
      for (let i = 0; i < cfg.repeats; i++) {
        progress.begin(`consume-${s} cold+warm (${i + 1}/${cfg.repeats})`);
        try {
          const evicted = evict(logDir);
          const cached = evicted ? cachedPct(filesUnder(logDir)) : null;
          const [c, w] = await withBrokerOn(ctx, `consume-${s}`, logDir, {}, async (run) => {
            const c1 = await readAll(ctx, run, prepared.ends);
            const w1 = await readAll(ctx, run, prepared.ends);
            return [c1, w1];
          });
          addRepeat(cold, { ...c, cachedAtStartPct: cached });
          addRepeat(warm, w);
          progress.end(`cold ${(c.mbPerSec ?? 0).toFixed(1)} MB/s ${Math.round(c.recordsPerSec ?? 0).toLocaleString('en-US')} rec/s; warm ${(w.mbPerSec ?? 0).toFixed(1)} MB/s ${Math.round(w.recordsPerSec ?? 0).toLocaleString('en-US')} rec/s`);
        } catch (err) {
          cold.errors.push((err as Error).message);
          progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    } catch (err) {
      cold.errors.push((err as Error).message);
      progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  }
  return out;
}
