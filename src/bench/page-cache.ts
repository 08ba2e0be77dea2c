/**
 * Page-cache helpers for "cold" reads: evict a directory's files from the
 * page cache without root and without touching anything else on a shared
 * machine (fdatasync, then `dd iflag=nocache count=0`, which asks the kernel
 * to forget the file's cached pages), and measure how much of them is still
 * cached (`fincore`). The global /proc/sys/vm/drop_caches is deliberately
 * not used: it would empty every other process's cache too.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Percent of the files' bytes in the page cache, or null without fincore. */
export function cachedPct(files: string[]): number | null {
  if (files.length === 0) return 0;
  try {
    const out = execFileSync('fincore', ['--bytes', '--noheadings', '--raw', '--output', 'RES,SIZE', ...files], { encoding: 'utf8' });
    let res = 0;
    let size = 0;
    for (const line of out.trim().split('\n')) {
      const [r, s] = line.trim().split(/\s+/).map(Number);
      res += r || 0;
      size += s || 0;
    }
    return size > 0 ? (res / size) * 100 : 0;
  } catch {
    return null;
  }
}

/** Flushes and evicts the dir's files from the page cache; false when dd is unavailable. */
export function evict(dir: string): boolean {
  let ok = true;
  for (const f of filesUnder(dir)) {
    const fd = openSync(f, 'r+');
    try {
      fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      execFileSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
    } catch {
      ok = false;
    }
  }
  return ok;
}
