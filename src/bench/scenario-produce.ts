/**
 * Produce throughput: for each record size, acks=1, acks=all with
 * krill.fsync.before.ack=true (the default) and acks=all without it. Each
 * repeat runs on a fresh broker and an empty topic; the load generator
 * workers keep `depth` requests in flight on each of their connections.
 */
import { createTopic, withConnection, waitTopicReady } from './admin.js';
import { recordsPerBatch } from './batches.js';
import { ProcSampler } from './proc-stats.js';
import { addRepeat, newResult, sizeLabel, type ScenarioResult } from './results.js';
import {
  latencyMetrics,
  liveRate,
  splitPartitions,
  throughputMetrics,
  totals,
  windowFrom,
  withBroker,
  type Metrics,
  type RunContext,
} from './run-context.js';
import type { ProduceJob } from './types.js';

export const TOPIC = 'bench';

interface ProduceSpec {
  name: string;
  recordBytes: number;
  acks: number;
  fsync: boolean;
}

export function produceSpecs(ctx: RunContext): ProduceSpec[] {
  const specs: ProduceSpec[] = [];
  for (const size of ctx.cfg.recordSizes) {
    const s = sizeLabel(size);
    specs.push({ name: `produce-${s}-acks1`, recordBytes: size, acks: 1, fsync: true });
    specs.push({ name: `produce-${s}-acksall-fsync`, recordBytes: size, acks: -1, fsync: true });
    specs.push({ name: `produce-${s}-acksall-nofsync`, recordBytes: size, acks: -1, fsync: false });
  }
  return specs;
}

/** Runs a full-speed produce window against a running broker; shared with the partitions scenario. */
export async function produceWindow(ctx: RunContext, pid: number, jobs: Array<Omit<ProduceJob, 'measureStartMs' | 'measureEndMs'>>): Promise<Metrics> {
  const { cfg } = ctx;
  const workers = await ctx.pool.take(jobs.length);
  const w = windowFrom(300, cfg.warmupMs, cfg.durationMs);
  const live = liveRate(ctx);
  const sampled = ProcSampler.window(pid, w.startMs, w.endMs);
  const outcomes = await Promise.all(
    jobs.map((job, i) => workers[i].run({ ...job, measureStartMs: w.startMs, measureEndMs: w.endMs }, { onProgress: live.hook(i) })),
  );
  const t = totals(outcomes);
  const m = { ...throughputMetrics(t, await sampled), ...latencyMetrics('request', t.latency) };
  if (t.firstError) throw new Error(`${t.errors} errors, first: ${t.firstError}`);
  return m;
}

async function runOne(ctx: RunContext, spec: ProduceSpec): Promise<Metrics> {
  const { cfg } = ctx;
  const config = { 'krill.fsync.before.ack': String(spec.fsync) };
  return withBroker(ctx, spec.name, config, async ({ broker, target }) => {
    await withConnection(target.host, target.port, async (c) => {
      await createTopic(c, TOPIC, cfg.partitions);
      await waitTopicReady(c, TOPIC, cfg.partitions);
    });
    const shape = {
      recordBytes: spec.recordBytes,
      recordsPerBatch: recordsPerBatch(cfg.batchBytes, spec.recordBytes),
      compression: cfg.compression,
      compressible: cfg.compressible,
    };
    const jobs = splitPartitions(cfg.partitions, cfg.workers).map((partitions) => ({
      kind: 'produce' as const,
      target,
      topic: TOPIC,
      partitions,
      connections: cfg.connections,
      depth: cfg.depth,
      partitionsPerRequest: cfg.partitionsPerRequest,
      acks: spec.acks,
      shape,
    }));
    return produceWindow(ctx, broker.pid, jobs);
  });
}

export async function runProduceScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const out: ScenarioResult[] = [];
  for (const spec of produceSpecs(ctx)) {
    const r = newResult(
      spec.name,
      'produce',
      `produce ${sizeLabel(spec.recordBytes)} records, acks=${spec.acks === -1 ? 'all' : spec.acks}` +
        (spec.acks === -1 ? `, krill.fsync.before.ack=${spec.fsync}` : ''),
      {
        recordBytes: spec.recordBytes,
        acks: spec.acks,
        fsyncBeforeAck: spec.fsync,
        partitions: cfg.partitions,
        workers: cfg.workers,
        connectionsPerWorker: cfg.connections,
        depth: cfg.depth,
        batchBytes: cfg.batchBytes,
        recordsPerBatch: recordsPerBatch(cfg.batchBytes, spec.recordBytes),
        compression: cfg.compression,
      },
      spec.acks === -1 && spec.fsync ? 'disk' : 'loopback',
    );
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(`${spec.name} (${i + 1}/${cfg.repeats})`);
      try {
        const m = await runOne(ctx, spec);
        addRepeat(r, m);
        progress.end(`${(m.mbPerSec ?? 0).toFixed(1)} MB/s, ${Math.round(m.recordsPerSec ?? 0).toLocaleString('en-US')} rec/s, broker CPU ${(m.brokerCpuPct ?? 0).toFixed(0)}%`);
      } catch (err) {
        r.errors.push((err as Error).message);
        progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    out.push(r);
  }
  return out;
}
