/**
 * Hot spots from a V8 .cpuprofile (written by `node --cpu-prof`): self time
 * per function, named file:function:line with paths relative to the package
 * root, and self time per file. Idle time is left out of the percentages,
 * so they are shares of the time the broker was busy.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from './paths.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** file:function:line (1-based line). */
  name: string;
  selfMs: number;
  /** Percent of non-idle samples. */
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  idleMs: number;
  functions: HotSpot[];
  files: HotSpot[];
  /**
   * Self time charged to the nearest Krill function on the stack (native
   * calls such as fs and socket writes, GC excluded, count for the Krill
   * function that made them): where in Krill's own code time goes.
   */
  krillFunctions: HotSpot[];
}

/** Krill's own code: compiled (dist/) or source (src/) files of this package. */
function isKrill(url: string): boolean {
  const w = where(url);
  return w.startsWith('dist/') || w.startsWith('src/');
}

function where(url: string): string {
  if (url === '') return '';
  let path = url;
  if (url.startsWith('file://')) path = fileURLToPath(url);
  if (path.startsWith('/')) {
    const rel = relative(packageRoot, path);
    path = rel.startsWith('..') ? path : rel;
  }
  return path;
}

function label(f: CallFrame): { fn: string; file: string } {
  const file = where(f.url);
  const fn = f.functionName || '(anonymous)';
  return { fn: file ? `${file}:${fn}:${f.lineNumber + 1}` : fn, file: file || fn };
}

function top(map: Map<string, number>, busy: number, n: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, selfPct: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0 }));
}

export function summarizeProfile(file: string, n = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next one
    selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + Math.max(0, dt));
  }
  const parent = new Map<number, number>();
  for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const nearestKrill = (id: number): ProfileNode | null => {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur);
      if (node && isKrill(node.callFrame.url)) return node;
    }
    return null;
  };
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  const krill = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    if (node.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    const l = label(node.callFrame);
    fns.set(l.fn, (fns.get(l.fn) ?? 0) + us);
    files.set(l.file, (files.get(l.file) ?? 0) + us);
    const k = nearestKrill(id);
    if (k) {
      const kl = label(k.callFrame).fn;
      krill.set(kl, (krill.get(kl) ?? 0) + us);
    }
  }
  return { file, busyMs: Math.round(busy / 1000), idleMs: Math.round(idle / 1000), functions: top(fns, busy, n), files: top(files, busy, n), krillFunctions: top(krill, busy, n) };
}
