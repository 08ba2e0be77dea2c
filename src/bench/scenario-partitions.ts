/**
 * Many partitions: one topic of cfg.manyPartitions partitions written by
 * cfg.manyProducers producer connections (each owning an equal share of the
 * partitions and sending one batch for each of them per request, as a
 * Kafka producer drains its ready batches). Broker RSS is read idle before
 * the load (partitions created, empty), during it, 3 s after it
 * (partitions with data and open segments), and once more after
 * cfg.idleSettleMs of idleness: V8 gives heap back only after a while
 * without allocation (its memory reducer), about 40 s on this machine.
 */
import { createTopic, withConnection, waitTopicReady } from './admin.js';
import { recordsPerBatch } from './batches.js';
import { ProcSampler, rssBytes } from './proc-stats.js';
import { addRepeat, newResult, sizeLabel, type ScenarioResult } from './results.js';
import { sleep, withBroker, type Metrics, type RunContext } from './run-context.js';
import { produceWindow, TOPIC } from './scenario-produce.js';

const MB = 1024 * 1024;

async function idleRss(pid: number, settleMs: number, sampleMs: number): Promise<number | null> {
  await sleep(settleMs);
  const now = Date.now();
  return (await ProcSampler.window(pid, now, now + sampleMs)).rssAvgMB;
}

async function runOne(ctx: RunContext): Promise<Metrics> {
  const { cfg } = ctx;
  const settleMs = cfg.quick ? 500 : 3000;
  return withBroker(ctx, 'partitions', {}, async ({ broker, target }) => {
    const baseline = rssBytes(broker.pid);
    const t0 = performance.now();
    await withConnection(target.host, target.port, async (c) => {
      await createTopic(c, TOPIC, cfg.manyPartitions);
      await waitTopicReady(c, TOPIC, cfg.manyPartitions, 300_000);
    });
    const createMs = performance.now() - t0;
    const rssIdleEmptyMB = await idleRss(broker.pid, settleMs, 1000);
    const workers = Math.min(cfg.workers, cfg.manyProducers);
    const perWorker = Math.ceil(cfg.manyProducers / workers);
    const partsPerProducer = Math.ceil(cfg.manyPartitions / cfg.manyProducers);
    const shape = {
      recordBytes: cfg.manyRecordBytes,
      recordsPerBatch: recordsPerBatch(cfg.manyBatchBytes, cfg.manyRecordBytes),
      compression: cfg.compression,
      compressible: cfg.compressible,
    };
    const jobs = [];
    for (let w = 0; w < workers; w++) {
      const producers = Math.min(perWorker, cfg.manyProducers - w * perWorker);
      if (producers <= 0) break;
      const first = w * perWorker * partsPerProducer;
      const last = Math.min(cfg.manyPartitions, first + producers * partsPerProducer);
      const partitions = Array.from({ length: last - first }, (_, i) => first + i);
      jobs.push({
        kind: 'produce' as const,
        target,
        topic: TOPIC,
        partitions,
        connections: producers,
        depth: 2,
        partitionsPerRequest: partsPerProducer,
        acks: 1,
        shape,
      });
    }
    const load = await produceWindow(ctx, broker.pid, jobs);
    const loadEnd = Date.now();
    const rssIdleAfterLoadMB = await idleRss(broker.pid, settleMs, 1000);
    let rssSettledAfterLoadMB: number | null = null;
    if (cfg.idleSettleMs > 0) {
      ctx.progress.live(`idle ${Math.round(cfg.idleSettleMs / 1000)} s to read settled RSS`);
      rssSettledAfterLoadMB = await idleRss(broker.pid, Math.max(0, loadEnd + cfg.idleSettleMs - Date.now()), 1000);
    }
    return { ...load, createMs, rssBaselineMB: baseline === null ? null : baseline / MB, rssIdleEmptyMB, rssIdleAfterLoadMB, rssSettledAfterLoadMB };
  });
}

export async function runPartitionsScenario(ctx: RunContext): Promise<ScenarioResult> {
  const { cfg, progress } = ctx;
  const r = newResult(
    `partitions-${cfg.manyPartitions}x${cfg.manyProducers}`,
    'partitions',
    `${cfg.manyPartitions} partitions, ${cfg.manyProducers} producers, ${sizeLabel(cfg.manyRecordBytes)} records in ${sizeLabel(cfg.manyBatchBytes)} batches, acks=1`,
    { partitions: cfg.manyPartitions, producers: cfg.manyProducers, recordBytes: cfg.manyRecordBytes, batchBytes: cfg.manyBatchBytes, acks: 1 },
    'loopback',
  );
  for (let i = 0; i < cfg.repeats; i++) {
    progress.begin(`${r.name} (${i + 1}/${cfg.repeats})`);
    try {
      const m = await runOne(ctx);
      addRepeat(r, m);
      progress.end(
        `${(m.mbPerSec ?? 0).toFixed(1)} MB/s; RSS idle ${(m.rssIdleEmptyMB ?? 0).toFixed(0)} MB empty, ` +
          `${(m.rssIdleAfterLoadMB ?? 0).toFixed(0)} MB 3 s after load` +
          (m.rssSettledAfterLoadMB === null || m.rssSettledAfterLoadMB === undefined ? '' : `, ${m.rssSettledAfterLoadMB.toFixed(0)} MB after ${Math.round(cfg.idleSettleMs / 1000)} s idle`) +
          `; created in ${((m.createMs ?? 0) / 1000).toFixed(1)} s`,
      );
    } catch (err) {
      r.errors.push((err as Error).message);
      progress.end(`FAILED: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return r;
}
