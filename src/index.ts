/**
 * Krill's embeddable API: start a broker in-process (port 0, a temp dir by
 * default), get its bootstrap address, stop it.
 *
 *   import { startKrill } from 'krill';
 *   const krill = await startKrill();
 *   const kafka = new Kafka({ brokers: [krill.bootstrap] });
 *   ...
 *   await krill.stop();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { KrillNode } from './node.js';
import { BrokerConfig } from './config/broker-config.js';

export { KrillNode } from './node.js';
export { BrokerConfig } from './config/broker-config.js';
export { ErrorCode, KafkaError } from './api/error-codes.js';

export interface StartOptions {
  /** Kafka config names and values, e.g. { 'num.partitions': 3 }. */
  config?: Record<string, string | number | boolean>;
  /** Data directory; a fresh temp dir (removed on stop) when omitted. */
  dataDir?: string;
  logger?: Logger;
}

export interface RunningKrill {
  /** host:port for clients. */
  readonly bootstrap: string;
  readonly node: KrillNode;
  readonly dataDir: string;
  /** Clean shutdown; removes the temp data dir if Krill made it. */
  stop(): Promise<void>;
}

export async function startKrill(opts: StartOptions = {}): Promise<RunningKrill> {
  const owned = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'krill-'));
  const config = new BrokerConfig({
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'log.dirs': dataDir,
    ...opts.config,
  });
  const node = await KrillNode.start({ config, logger: opts.logger });
  return {
    bootstrap: node.bootstrap,
    node,
    dataDir,
    async stop() {
      await node.stop();
      if (owned) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
