/**
 * End-to-end latency at fixed rates: one worker produces cfg.e2eRecordBytes
 * records at each rate in cfg.e2eRates (acks=1, like a Kafka producer with
 * linger about 1 ms and 5 requests in flight, every record stamped with its
 * scheduled creation time), another worker long-polls them back; latency
 * is delivery time minus creation time, per record, for records created
 * inside the measured window. The producer's achieved rate and any records
 * created but not delivered are reported too.
 */
import { createTopic, withConnection, waitTopicReady } from './admin.js';
import { ProcSampler } from './proc-stats.js';
import { addRepeat, newResult, rateLabel, sizeLabel, type ScenarioResult } from './results.js';
import { latencyMetrics, liveRate, totals, windowFrom, withBroker, type Metrics, type RunContext } from './run-context.js';
import { mbPerSec, perSec } from './stats.js';

const TOPIC = 'latency';

async function runOne(ctx: RunContext, name: string, rate: number): Promise<Metrics> {
  const { cfg } = ctx;
  return withBroker(ctx, name, {}, async ({ broker, target }) => {
    const partitions = Array.from({ length: cfg.e2ePartitions }, (_, p) => p);
    await withConnection(target.host, target.port, async (c) => {
      await createTopic(c, TOPIC, cfg.e2ePartitions);
      await waitTopicReady(c, TOPIC, cfg.e2ePartitions);
    });
    const [consumer, producer] = await ctx.pool.take(2);
    const w = windowFrom(500, cfg.warmupMs, cfg.durationMs);
    const sampled = ProcSampler.window(broker.pid, w.startMs, w.endMs);
    const live = liveRate(ctx);
    const consumed = consumer.run(
      { kind: 'latency-consume', target, topic: TOPIC, partitions, measureStartMs: w.startMs, measureEndMs: w.endMs, idleStopMs: 1500, stopAtMs: w.endMs + 60_000 },
      { onProgress: live.hook(0) },
    );
    const produced = producer.run({
      kind: 'rate-produce',
      target,
      topic: TOPIC,
      partitions,
      recordsPerSec: rate,
      recordBytes: cfg.e2eRecordBytes,
      acks: 1,
      measureStartMs: w.startMs,
      measureEndMs: w.endMs,
    });
    const [c, p] = await Promise.all([consumed, produced]);
    const ct = totals([c]);
    const pt = totals([p]);
    const b = await sampled;
    if (ct.firstError ?? pt.firstError) throw new Error(`errors: ${ct.firstError ?? pt.firstError}`);
    const window = w.endMs - w.startMs;
    const sent = pt.extra.sentInWindow ?? 0;
    const delivered = ct.extra.deliveredInWindow ?? 0;
    return {
      mbPerSec: mbPerSec(ct.bytes, window),
      recordsPerSec: perSec(delivered, window),
      targetRecordsPerSec: rate,
      achievedRecordsPerSec: perSec(sent, window),
      undeliveredRecords: sent - delivered,
      maxQueuedRecords: pt.extra.maxQueuedRecords ?? null,
      ...latencyMetrics('e2e', ct.latency),
      ...latencyMetrics('request', pt.latency),
      brokerCpuPct: b.cpuPct,
      brokerMainThreadCpuPct: b.mainThreadCpuPct ?? null,
      brokerPreemptionsPerSec: b.mainPreemptionsPerSec ?? null,
      brokerRssMaxMB: b.rssMaxMB,
      brokerRssAvgMB: b.rssAvgMB,
      clientCpuPct: window > 0 ? ((ct.clientCpuMs + pt.clientCpuMs) / window) * 100 : null,
    };
  });
}

export async function runLatencyScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const out: ScenarioResult[] = [];
  for (const rate of cfg.e2eRates) {
    const name = `e2e-${sizeLabel(cfg.e2eRecordBytes)}-${rateLabel(rate)}`;
    const r = newResult(
      name,
      'latency',
      `end-to-end latency, ${rate.toLocaleString('en-US')} records/s of ${sizeLabel(cfg.e2eRecordBytes)}, acks=1, ${cfg.e2ePartitions} partition(s)`,
      { recordsPerSec: rate, recordBytes: cfg.e2eRecordBytes, partitions: cfg.e2ePartitions, acks: 1 },
      null,
    );
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(`${name} (${i + 1}/${cfg.repeats})`);
      try {
        const m = await runOne(ctx, name, rate);
        addRepeat(r, m);
        const f = (k: string): string => (m[k] ?? 0).toFixed(2);
        progress.end(`p50 ${f('e2eP50Ms')} ms, p99 ${f('e2eP99Ms')} ms, p99.9 ${f('e2eP999Ms')} ms at ${Math.round(m.achievedRecordsPerSec ?? 0).toLocaleString('en-US')} rec/s`);
      } catch (err) {
        r.errors.push((err as Error).message);
        progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    out.push(r);
  }
  return out;
}
