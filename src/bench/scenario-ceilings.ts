/**
 * Ceiling scenarios: disk write + fdatasync per chunk size, loopback TCP
 * between two Node processes with one and with several connections, and
 * the round-trip floor (1 KiB messages echoed 1,000 times a second).
 */

const RTT_PER_SEC = 1000;
const RTT_BYTES = 1024;
import { measureDisk, measureLoopback, measureRtt } from './ceilings.js';
import { addRepeat, newResult, sizeLabel, type ScenarioResult } from './results.js';
import { latencyMetrics, type Metrics, type RunContext } from './run-context.js';

export function ceilingSteps(ctx: RunContext): number {
  return ctx.cfg.repeats * (ctx.cfg.diskChunkSizes.length + loopbackConnections(ctx).length + 1);
}

function loopbackConnections(ctx: RunContext): number[] {
  const many = ctx.cfg.workers * ctx.cfg.connections;
  return many > 1 ? [1, many] : [1];
}

/**
 * Measures every ceiling cfg.repeats times. Called twice, at the start and
 * at the end of the run: the second call adds its repeats (phase 1) to the
 * first call's results (phase 0), so ratios use ceilings from both ends and
 * a change of machine load in between shows (report.ts).
 */
export async function runCeilings(ctx: RunContext, earlier: ScenarioResult[] = []): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const phase = earlier.length > 0 ? 1 : 0;
  const out: ScenarioResult[] = [];
  const result = (name: string, description: string, params: ScenarioResult['params']): ScenarioResult => {
    const r = earlier.find((e) => e.name === name) ?? newResult(name, 'ceiling', description, params, null);
    if (!earlier.includes(r)) out.push(r);
    return r;
  };
  const label = (name: string, i: number): string => `${name}${phase ? ' (end of run)' : ''} (${i + 1}/${cfg.repeats})`;
  for (const chunk of cfg.diskChunkSizes) {
    const r = result(`ceiling-disk-${sizeLabel(chunk)}`, `write ${sizeLabel(chunk)} + fdatasync loop in the log filesystem`, { chunkBytes: chunk, dir: cfg.dataRoot });
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(label(r.name, i));
      const s = measureDisk(cfg.dataRoot, chunk, cfg.ceilingMs);
      addRepeat(r, { mbPerSec: s.mbPerSec, syncsPerSec: s.syncsPerSec, syncMs: s.syncMs, phase });
      progress.end(`${s.mbPerSec.toFixed(1)} MB/s, ${s.syncMs.toFixed(2)} ms per sync`);
    }
  }
  for (const conns of loopbackConnections(ctx)) {
    const r = result(`ceiling-loopback-${conns}conn`, `Node-to-Node TCP over 127.0.0.1, ${conns} connection(s)`, { connections: conns, chunkBytes: 256 * 1024 });
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(label(r.name, i));
      const s = await measureLoopback(ctx.pool, conns, cfg.ceilingMs);
      addRepeat(r, { mbPerSec: s.mbPerSec, phase });
      progress.end(`${s.mbPerSec.toFixed(1)} MB/s`);
    }
  }
  const rtt = result('ceiling-rtt-1KiB', `round trip of ${sizeLabel(RTT_BYTES)} messages between two Node processes, ${RTT_PER_SEC}/s (latency floor)`, { perSec: RTT_PER_SEC, messageBytes: RTT_BYTES });
  for (let i = 0; i < cfg.repeats; i++) {
    progress.begin(label(rtt.name, i));
    const s = await measureRtt(ctx.pool, RTT_PER_SEC, RTT_BYTES, cfg.ceilingMs);
    const m: Metrics = { mbPerSec: (s.rtt.count * RTT_BYTES) / 1e6 / (cfg.ceilingMs / 1000), recordsPerSec: s.rtt.count / (cfg.ceilingMs / 1000), ...latencyMetrics('rtt', s.rtt), phase };
    addRepeat(rtt, m);
    progress.end(`p50 ${(m.rttP50Ms ?? 0).toFixed(3)} ms, p99 ${(m.rttP99Ms ?? 0).toFixed(3)} ms, p99.9 ${(m.rttP999Ms ?? 0).toFixed(3)} ms`);
  }
  return out;
}
