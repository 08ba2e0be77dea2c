/**
 * Where things are, whether the benchmark runs compiled (dist/bench/*.js,
 * `krill bench`) or from source under tsx (src/bench/*.ts, `npm run bench`).
 * The broker always runs compiled, from dist/cli/main.js, as users run it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const fromSource = here.endsWith('.ts');

/** The package root (two levels above this file in both layouts). */
export const packageRoot = join(dirname(here), '..', '..');

export const brokerEntry = join(packageRoot, 'dist', 'cli', 'main.js');

/** The worker module next to this one, and the node flags it needs. */
export function workerModule(): { path: string; execArgv: string[] } {
  const path = join(dirname(here), fromSource ? 'worker.ts' : 'worker.js');
  if (!fromSource) return { path, execArgv: [] };
  const hasLoader = process.execArgv.some((a) => a.includes('tsx'));
  return { path, execArgv: hasLoader ? process.execArgv : [...process.execArgv, '--import', 'tsx'] };
}

export function brokerBuilt(): boolean {
  return existsSync(brokerEntry);
}
