/**
 * Command-line options of `krill bench` and `npm run bench`, shared by
 * both entries. Options left out take the mode's defaults (config.ts).
 */
import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { COMPRESSION_NAMES, defaultConfig, type BenchConfig, type CompressionName } from './config.js';

export const GROUPS = ['log', 'produce', 'consume', 'latency', 'partitions', 'kafkajs'] as const;

/** Groups that run in the orchestrator's process (no broker from dist/). */
const IN_PROCESS_GROUPS: readonly string[] = ['log'];

/** Whether the selected groups start broker processes (all of them do unless --only names in-process groups alone). */
export function needsBroker(only: readonly string[], kafkajs = true): boolean {
  const groups = only.length > 0 ? only : GROUPS.filter((g) => kafkajs || g !== 'kafkajs');
  return groups.some((g) => !IN_PROCESS_GROUPS.includes(g));
}

export function benchOptions<T>(y: Argv<T>) {
  return y
    .option('quick', { type: 'boolean', default: false, describe: 'CI mode: one short repeat of everything (< 2 min), fails on an insane report' })
    .option('out', { type: 'string', default: 'bench-report.json', describe: 'JSON report path' })
    .option('dir', { type: 'string', describe: 'parent dir of the brokers\' log dirs and of the disk ceiling file (default: OS temp dir)' })
    .option('repeats', { type: 'number', describe: 'repeats of every measurement (full: 3, quick: 1)' })
    .option('duration', { type: 'number', describe: 'seconds measured per run (full: 10, quick: 1.5)' })
    .option('warmup', { type: 'number', describe: 'seconds of load before measuring (full: 2, quick: 0.5)' })
    .option('workers', { type: 'number', describe: 'load generator processes (default 2)' })
    .option('connections', { type: 'number', describe: 'connections per worker (default 2)' })
    .option('depth', { type: 'number', describe: 'requests in flight per connection (default 4)' })
    .option('partitions', { type: 'number', describe: 'partitions of the throughput topic (default 8)' })
    .option('partitions-per-request', { type: 'number', describe: 'batches (partitions) in one produce request (default 1)' })
    .option('batch-bytes', { type: 'number', describe: 'record batch size in bytes (default 65536)' })
    .option('compression', { type: 'string', choices: COMPRESSION_NAMES as readonly string[], describe: 'batch compression (default none)' })
    .option('compressible', { type: 'boolean', describe: 'repetitive record values instead of random bytes' })
    .option('record-sizes', { type: 'number', array: true, describe: 'record value sizes in bytes (default 100 1024)' })
    .option('consume-mb', { type: 'number', describe: 'MB of records prepared per record size for the consume runs (full: 1000, quick: 32)' })
    .option('fetch-bytes', { type: 'number', describe: 'partition_max_bytes of consume fetches (default 1 MiB)' })
    .option('log-mib', { type: 'number', describe: 'MiB written per log-level append run, in-process PartitionLog (full: 1024, quick: 64)' })
    .option('rates', { type: 'number', array: true, describe: 'end-to-end latency rates, records/s (default 10000 50000)' })
    .option('e2e-partitions', { type: 'number', describe: 'partitions of the latency topic (default 1)' })
    .option('many-partitions', { type: 'number', describe: 'partitions of the many-partitions case (full: 1000, quick: 200)' })
    .option('many-producers', { type: 'number', describe: 'producers of the many-partitions case (full: 100, quick: 20)' })
    .option('idle-settle', { type: 'number', describe: 'seconds the many-partitions broker idles after the load before RSS is read again (full: 45, quick: 0 = skip)' })
    .option('kafkajs', { type: 'boolean', default: true, describe: 'run the kafkajs reference client (--no-kafkajs to skip)' })
    .option('ceiling-duration', { type: 'number', describe: 'seconds per ceiling measurement (full: 3, quick: 0.75)' })
    .option('profile', { type: 'boolean', default: false, describe: 'run brokers under node --cpu-prof and report hot functions' })
    .option('nice', { type: 'number', describe: 'nice value for broker, workers and this process (negative needs root; a noise diagnostic on shared machines)' })
    .option('only', { type: 'string', array: true, describe: `scenario groups to run (${GROUPS.join(', ')}); ceilings always run` });
}

function num(v: unknown, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got ${String(v)}`);
  return n;
}

function nums(v: unknown, name: string, min: number): number[] | undefined {
  if (v === undefined) return undefined;
  const list = (Array.isArray(v) ? v : [v]).map((x) => num(x, name, min) as number);
  if (list.length === 0) throw new Error(`--${name} needs at least one value`);
  return list;
}

/** Turns parsed options into a configuration (validating ranges). */
export function configFromArgs(argv: Record<string, unknown>): BenchConfig {
  const cfg = defaultConfig(argv.quick === true);
  const set = <K extends keyof BenchConfig>(k: K, v: BenchConfig[K] | undefined): void => {
    if (v !== undefined) cfg[k] = v;
  };
  const secs = (k: string): number | undefined => {
    const s = num(argv[k], k, 0);
    return s === undefined ? undefined : s * 1000;
  };
  set('out', resolve(String(argv.out ?? cfg.out)));
  if (argv.dir !== undefined) set('dataRoot', resolve(String(argv.dir)));
  set('repeats', num(argv.repeats, 'repeats', 1));
  set('durationMs', secs('duration'));
  set('warmupMs', secs('warmup'));
  set('workers', num(argv.workers, 'workers', 1));
  set('connections', num(argv.connections, 'connections', 1));
  set('depth', num(argv.depth, 'depth', 1));
  set('partitions', num(argv.partitions, 'partitions', 1));
  set('partitionsPerRequest', num(argv['partitions-per-request'], 'partitions-per-request', 1));
  set('batchBytes', num(argv['batch-bytes'], 'batch-bytes', 128));
  if (argv.compression !== undefined) set('compression', String(argv.compression) as CompressionName);
  if (argv.compressible !== undefined) set('compressible', argv.compressible === true);
  set('recordSizes', nums(argv['record-sizes'], 'record-sizes', 8));
  const mb = num(argv['consume-mb'], 'consume-mb', 1);
  if (mb !== undefined) set('consumeBytes', mb * 1e6);
  set('fetchBytes', num(argv['fetch-bytes'], 'fetch-bytes', 1024));
  const logMib = num(argv['log-mib'], 'log-mib', 1);
  if (logMib !== undefined) set('logBytes', logMib * 2 ** 20);
  set('e2eRates', nums(argv.rates, 'rates', 1));
  set('e2ePartitions', num(argv['e2e-partitions'], 'e2e-partitions', 1));
  set('manyPartitions', num(argv['many-partitions'], 'many-partitions', 1));
  set('manyProducers', num(argv['many-producers'], 'many-producers', 1));
  set('idleSettleMs', secs('idle-settle'));
  set('kafkajs', argv.kafkajs !== false);
  set('ceilingMs', secs('ceiling-duration'));
  set('profile', argv.profile === true);
  if (argv.nice !== undefined) {
    const n = Number(argv.nice);
    if (!Number.isInteger(n) || n < -20 || n > 19) throw new Error(`--nice must be an integer in [-20, 19], got ${String(argv.nice)}`);
    set('nice', n);
  }
  const only = argv.only === undefined ? [] : (Array.isArray(argv.only) ? argv.only : [argv.only]).map(String);
  for (const g of only) if (!(GROUPS as readonly string[]).includes(g)) throw new Error(`--only: unknown group ${g} (${GROUPS.join(', ')})`);
  set('only', only);
  return cfg;
}
