/**
 * A TCP listener for one configured listener name: accepts connections up
 * to max.connections (beyond that a new connection is closed at once, as
 * Kafka does) and tracks them for shutdown.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { BrokerServices } from '../api/index.js';
import { Connection, type ConnectionOptions } from './connection.js';

export interface ListenerOptions extends ConnectionOptions {
  host: string;
  port: number;
  maxConnections: number;
}

export class KafkaListener {
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();
  boundPort = 0;

  constructor(
    private readonly opts: ListenerOptions,
    private readonly services: BrokerServices,
    private readonly log: Logger,
  ) {}

  get name(): string {
    return this.opts.listenerName;
  }

  get host(): string {
    return this.opts.host;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.opts.host || undefined, port: this.opts.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.opts.port;
    server.on('error', (err) => this.log.error({ err, listener: this.name }, 'listener error'));
    this.log.info({ listener: this.name, host: this.opts.host, port: this.boundPort }, 'listening');
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.opts.maxConnections) {
      this.log.warn({ listener: this.name, limit: this.opts.maxConnections, from: socket.remoteAddress }, 'closing new connection: max.connections reached');
      socket.destroy();
      return;
    }
    const conn = new Connection(socket, this.services, this.opts, this.log, (c) => this.connections.delete(c));
    this.connections.add(conn);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
