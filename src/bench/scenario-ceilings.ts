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

export async function runCeilings(ctx: RunContext): Promise<ScenarioResult[]> {
  const { cfg, progress } = ctx;
  const out: ScenarioResult[] = [];
  for (const chunk of cfg.diskChunkSizes) {
    const r = newResult(`ceiling-disk-${sizeLabel(chunk)}`, 'ceiling', `write ${sizeLabel(chunk)} + fdatasync loop in the log filesystem`, { chunkBytes: chunk, dir: cfg.dataRoot }, null);
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(`${r.name} (${i + 1}/${cfg.repeats})`);
      const s = measureDisk(cfg.dataRoot, chunk, cfg.ceilingMs);
      addRepeat(r, { mbPerSec: s.mbPerSec, syncsPerSec: s.syncsPerSec, syncMs: s.syncMs });
      progress.end(`${s.mbPerSec.toFixed(1)} MB/s, ${s.syncMs.toFixed(2)} ms per sync`);
    }
    out.push(r);
  }
  for (const conns of loopbackConnections(ctx)) {
    const r = newResult(`ceiling-loopback-${conns}conn`, 'ceiling', `Node-to-Node TCP over 127.0.0.1, ${conns} connection(s)`, { connections: conns, chunkBytes: 256 * 1024 }, null);
    for (let i = 0; i < cfg.repeats; i++) {
      progress.begin(`${r.name} (${i + 1}/${cfg.repeats})`);
      const s = await measureLoopback(ctx.pool, conns, cfg.ceilingMs);
      addRepeat(r, { mbPerSec: s.mbPerSec });
      progress.end(`${s.mbPerSec.toFixed(1)} MB/s`);
    }
    out.push(r);
  }
  const rtt = newResult('ceiling-rtt-1KiB', 'ceiling', `round trip of ${sizeLabel(RTT_BYTES)} messages between two Node processes, ${RTT_PER_SEC}/s (latency floor)`, { perSec: RTT_PER_SEC, messageBytes: RTT_BYTES }, null);
  for (let i = 0; i < cfg.repeats; i++) {
    progress.begin(`${rtt.name} (${i + 1}/${cfg.repeats})`);
    const s = await measureRtt(ctx.pool, RTT_PER_SEC, RTT_BYTES, cfg.ceilingMs);
    const m: Metrics = { mbPerSec: (s.rtt.count * RTT_BYTES) / 1e6 / (cfg.ceilingMs / 1000), recordsPerSec: s.rtt.count / (cfg.ceilingMs / 1000), ...latencyMetrics('rtt', s.rtt) };
    addRepeat(rtt, m);
    progress.end(`p50 ${(m.rttP50Ms ?? 0).toFixed(3)} ms, p99 ${(m.rttP99Ms ?? 0).toFixed(3)} ms, p99.9 ${(m.rttP999Ms ?? 0).toFixed(3)} ms`);
  }
  out.push(rtt);
  return out;
}
