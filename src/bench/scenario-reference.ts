/**
 * kafkajs as a reference client: its producer (1 KiB records, acks=1,
 * several sends in flight) and, when the broker offers the group APIs, its
 * consumer reading back what was produced.
 */
import { createTopic, withConnection, waitTopicReady } from './admin.js';
import { ProcSampler } from './proc-stats.js';
import { addRepeat, newResult, type ScenarioResult } from './results.js';
import { latencyMetrics, liveRate, throughputMetrics, totals, windowFrom, withBroker, type Metrics, type RunContext } from './run-context.js';
import { TOPIC } from './scenario-produce.js';

const RECORD_BYTES = 1024;
const MESSAGES_PER_SEND = 500;
const CONCURRENT_SENDS = 4;

interface Both {
  produce: Metrics | null;
  consume: Metrics | null;
  skipped: string | null;
}

async function runOne(ctx: RunContext): Promise<Both> {
  const { cfg } = ctx;
  return withBroker(ctx, 'kafkajs', {}, async ({ broker, target }) => {
    await withConnection(target.host, target.port, async (c) => {
      await createTopic(c, TOPIC, cfg.partitions);
      await waitTopicReady(c, TOPIC, cfg.partitions);
    });
    const [worker] = await ctx.pool.take(1);
    const w = windowFrom(1000, cfg.warmupMs, cfg.durationMs);
    const sampled = ProcSampler.window(broker.pid, w.startMs, w.endMs);
    const outcome = await worker.run(
      {
        kind: 'kafkajs-produce',
        target,
        topic: TOPIC,
        recordBytes: RECORD_BYTES,
        messagesPerSend: MESSAGES_PER_SEND,
        concurrentSends: CONCURRENT_SENDS,
        acks: 1,
        measureStartMs: w.startMs,
        measureEndMs: w.endMs,
      },
      { onProgress: liveRate(ctx).hook(0) },
    );
    const t = totals([outcome]);
    const broker1 = await sampled;
    if (t.skipped) return { produce: null, consume: null, skipped: t.skipped };
    if (t.firstError) throw new Error(`${t.errors} kafkajs errors, first: ${t.firstError}`);
    const produce = { ...throughputMetrics(t, broker1), ...latencyMetrics('send', t.latency) };
    const total = t.extra.ackedRecords ?? 0;
    const c = await worker.run({ kind: 'kafkajs-consume', target, topic: TOPIC, totalRecords: total, timeoutMs: cfg.quick ? 20_000 : 120_000 });
    if (c.status === 'skipped') return { produce, consume: null, skipped: c.reason };
    const ct = totals([c]);
    return { produce, consume: throughputMetrics(ct, { cpuPct: null, rssMaxMB: null, rssAvgMB: null, rssEndMB: null }), skipped: null };
  });
}

export async function runReferenceScenarios(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const params = { recordBytes: RECORD_BYTES, messagesPerSend: MESSAGES_PER_SEND, concurrentSends: CONCURRENT_SENDS, partitions: cfg.partitions, acks: 1 };
  const produce = newResult('kafkajs-produce-1KiB-acks1', 'reference', 'kafkajs producer, 1 KiB records, acks=1 (reference client)', params, 'loopback');
  const consume = newResult('kafkajs-consume-1KiB', 'reference', 'kafkajs consumer group reading back the produced records (reference client)', params, 'loopback');
  for (let i = 0; i < cfg.repeats; i++) {
    progress.begin(`kafkajs (${i + 1}/${cfg.repeats})`);
    try {
      const b = await runOne(ctx);
      if (b.produce) addRepeat(produce, b.produce);
      if (b.consume) addRepeat(consume, b.consume);
      if (b.skipped && !b.produce) produce.skipped = b.skipped;
      if (b.skipped) consume.skipped = b.skipped;
      progress.end(b.produce ? `produce ${(b.produce.mbPerSec ?? 0).toFixed(1)} MB/s; consume ${b.consume ? `${(b.consume.mbPerSec ?? 0).toFixed(1)} MB/s` : `skipped (${b.skipped})`}` : `skipped (${b.skipped})`);
    } catch (err) {
      produce.errors.push((err as Error).message);
      progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return [produce, consume];
}
