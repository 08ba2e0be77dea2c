/**
 * `npm run bench` (and `npm run bench:quick`): the benchmark from source
 * under tsx. The benchmark itself lives in src/bench/ so that `krill bench`
 * runs the same code compiled; this entry only adds a rebuild of dist/
 * (the broker under test always runs compiled) when dist is missing or
 * older than src/, unless --no-build.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runBench } from '../src/bench/main.js';
import { benchOptions, configFromArgs, needsBroker } from '../src/bench/options.js';
import { brokerEntry, packageRoot } from '../src/bench/paths.js';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function ensureBuilt(): void {
  const stale = !existsSync(brokerEntry) || statSync(brokerEntry).mtimeMs < newestMtime(join(packageRoot, 'src'));
  if (!stale) return;
  process.stderr.write('dist/ is missing or older than src/: running npm run build\n');
  try {
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: packageRoot, stdio: 'inherit' });
  } catch (err) {
    // tsc still emits when other files have type errors; benchmark what was built, but say so.
    if (!existsSync(brokerEntry)) throw err;
    process.stderr.write('warning: npm run build reported errors; benchmarking the dist/ it produced\n');
  }
}

const argv = await benchOptions(yargs(hideBin(process.argv)).scriptName('npm run bench --'))
  .option('build', { type: 'boolean', default: true, describe: 'rebuild dist/ first when it is stale (--no-build to skip)' })
  .strict()
  .help()
  .parseAsync();
const cfg = configFromArgs(argv);
// The log group runs in this process from source: no broker to build for it alone.
if (argv.build && needsBroker(cfg.only, cfg.kafkajs)) ensureBuilt();
const { exitCode } = await runBench(cfg);
process.exit(exitCode);
