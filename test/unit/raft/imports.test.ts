/**
 * controller/raft is a pure core: it may import only its own modules and
 * src/platform (ARCHITECTURE.md's dependency rule). No node: builtins, no
 * packages, no other Krill folder.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..', '..');
const raftDir = join(root, 'src', 'controller', 'raft');
const platformDir = join(root, 'src', 'platform');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

function specifiers(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
    found.push((match[1] ?? match[2])!);
  }
  return found;
}

describe('controller/raft dependencies', () => {
  it('imports only itself and src/platform', () => {
    const offending: string[] = [];
    let seen = 0;
    for (const file of sourceFiles(raftDir)) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        seen += 1;
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
        const inside = (dir: string): boolean => !relative(dir, target).startsWith('..');
        if (!spec.startsWith('.') || !(inside(raftDir) || inside(platformDir))) offending.push(`${relative(root, file)} -> ${spec}`);
      }
    }
    expect(seen).toBeGreaterThan(20); // the scan found the imports
    expect(offending).toEqual([]);
  });

  it('uses no clock, timer or global randomness', () => {
    const offending: string[] = [];
    for (const file of sourceFiles(raftDir)) {
      const text = readFileSync(file, 'utf8');
      for (const banned of ['Date.now', 'new Date', 'performance.now', 'setTimeout', 'setInterval', 'setImmediate', 'Math.random', 'process.']) {
        if (text.includes(banned)) offending.push(`${relative(root, file)}: ${banned}`);
      }
    }
    expect(offending).toEqual([]);
  });
});
