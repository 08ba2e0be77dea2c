/**
 * Entry of a load generator process (forked by workers.ts). It waits for a
 * job on the IPC channel, runs it on its own event loop (so client work
 * never shares the broker's or the orchestrator's), reports progress and
 * the result, then waits for the next job or `exit`.
 */
import { runConsume, runLatencyConsume } from './consume-load.js';
import { runKafkajsConsume, runKafkajsProduce, SkippedError } from './kafkajs-load.js';
import { runEcho, runPing, runSink, runSource } from './loopback-load.js';
import { runProduce, runRateProduce } from './produce-load.js';
import type { ParentMessage, WorkerJob, WorkerMessage, WorkerResult } from './types.js';

function post(m: WorkerMessage): void {
  process.send?.(m);
}

const progress = (records: number, bytes: number): void => post({ type: 'progress', records, bytes });

function run(job: WorkerJob): Promise<WorkerResult> {
  switch (job.kind) {
    case 'produce':
      return runProduce(job, progress);
    case 'rate-produce':
      return runRateProduce(job, progress);
    case 'consume':
      return runConsume(job, progress);
    case 'latency-consume':
      return runLatencyConsume(job, progress);
    case 'kafkajs-produce':
      return runKafkajsProduce(job, progress);
    case 'kafkajs-consume':
      return runKafkajsConsume(job, progress);
    case 'sink':
      return runSink(job, progress, (port) => post({ type: 'ready', port }));
    case 'source':
      return runSource(job, progress);
    case 'echo':
      return runEcho(job, (port) => post({ type: 'ready', port }));
    case 'ping':
      return runPing(job, progress);
  }
}

process.on('message', (m: ParentMessage) => {
  if (m.type === 'exit') {
    process.disconnect?.();
    process.exit(0);
  }
  run(m.job).then(
    (result) => post({ type: 'done', result }),
    (err: unknown) => {
      if (err instanceof SkippedError) post({ type: 'skipped', reason: err.message });
      else post({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    },
  );
});
post({ type: 'ready' });
