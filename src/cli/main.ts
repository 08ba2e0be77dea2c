#!/usr/bin/env node
/**
 * The krill command.
 *
 *   krill start [--config server.properties] [--override key=value ...]
 *   krill cluster [--nodes 3] [--base-port 19092] [--dir ./data/cluster]   (src/cli/cluster.ts)
 *   krill conformance --bootstrap host:port [--json out.json] [--krill]
 *   krill bench [--quick] [--out bench-report.json] ...   (src/bench/)
 *
 * Config names are Kafka's (node.id, listeners, advertised.listeners,
 * log.dirs, num.partitions, auto.create.topics.enable, ...); defaults fill
 * in the rest, so `krill start --override listeners=PLAINTEXT://127.0.0.1:19092
 * --override log.dirs=/tmp/k1` is a complete single node.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import pino from 'pino';
import { BrokerConfig } from '../config/broker-config.js';
import { KrillNode } from '../node.js';
import { runConformanceCommand } from '../conformance/command.js';
import { benchOptions } from '../bench/options.js';
import { startIdleGc } from '../platform/idle-gc.js';
import { systemClock } from '../platform/clock.js';

async function start(args: { config?: string; override?: string[]; logLevel: string }): Promise<void> {
  const log = pino({ level: args.logLevel });
  let config: BrokerConfig;
  try {
    config = BrokerConfig.load(args.config, args.override ?? []);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'cannot load the configuration');
    process.exit(2);
  }
  const unknown = config.unknownKeys();
  if (unknown.length) log.warn({ keys: unknown }, 'ignoring config keys Krill does not know');
  let node: KrillNode;
  try {
    node = await KrillNode.start({ config, logger: log });
  } catch (err) {
    log.fatal({ err }, 'Krill failed to start');
    process.exit(1);
  }
  // The process is Krill's alone here (never in embedded nodes): collect once when load stops.
  startIdleGc({ intervalMs: config.int('krill.idle.gc.interval.ms'), clock: systemClock(), onCollect: (ms) => log.debug({ ms }, 'idle-time full GC') });
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    node.stop().then(
      () => process.exit(0),
      (err) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

await yargs(hideBin(process.argv))
  .scriptName('krill')
  .command(
    'start',
    'start a Krill node',
    (y) =>
      y
        .option('config', { alias: 'c', type: 'string', describe: 'server.properties file' })
        .option('override', { alias: 'o', type: 'string', array: true, describe: 'key=value, repeatable' })
        .option('log-level', { type: 'string', default: process.env.KRILL_LOG_LEVEL ?? 'info', describe: 'pino level' }),
    (argv) => start({ config: argv.config, override: argv.override, logLevel: argv['log-level'] }),
  )
  .command(
    'cluster',
    'start a local cluster of N processes (each broker and controller; KRaft-style quorum on CONTROLLER listeners)',
    (y) =>
      y
        .option('nodes', { alias: 'n', type: 'number', default: 3, describe: 'number of nodes' })
        .option('base-port', { type: 'number', default: 19092, describe: 'client port of node 1 (node i: base+i-1; CONTROLLER: base+100+i-1)' })
        .option('dir', { type: 'string', default: './data/cluster', describe: 'data directory (node-<id> inside)' })
        .option('override', { alias: 'o', type: 'string', array: true, describe: 'key=value for every node, repeatable' })
        .option('log-level', { type: 'string', default: process.env.KRILL_LOG_LEVEL ?? 'info', describe: 'pino level' }),
    async (argv) => {
      const { runClusterCommand } = await import('./cluster.js');
      process.exitCode = await runClusterCommand({ nodes: argv.nodes, basePort: argv['base-port'], dir: argv.dir, logLevel: argv['log-level'], overrides: argv.override ?? [] });
    },
  )
  .command(
    'bench',
    'benchmark a Krill broker process on this machine (throughput, latency, memory vs the machine\'s ceilings)',
    (y) => benchOptions(y),
    async (argv) => {
      const { runBench } = await import('../bench/main.js');
      const { configFromArgs } = await import('../bench/options.js');
      process.exit((await runBench(configFromArgs(argv))).exitCode);
    },
  )
  .command(
    'conformance',
    'grade a Kafka-compatible broker against the protocol (exit 1 on any failure)',
    (y) =>
      y
        .option('bootstrap', { alias: 'b', type: 'string', demandOption: true, describe: 'host:port of the broker' })
        .option('json', { type: 'string', describe: 'also write the JSON report to this file' })
        .option('krill', { type: 'boolean', default: false, describe: 'include Krill-specific checks' })
        .option('only', { type: 'string', array: true, describe: 'run only checks whose id starts with this, repeatable' })
        .option('progress', { type: 'boolean', default: false, describe: 'print each result as it comes in' }),
    async (argv) => {
      process.exitCode = await runConformanceCommand({ bootstrap: argv.bootstrap, json: argv.json, krill: argv.krill, only: argv.only, progress: argv.progress });
    },
  )
  .demandCommand(1)
  .strict()
  .help()
  .parseAsync();
