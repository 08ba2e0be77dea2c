/**
 * A TCP proxy between Kafka clients and a broker that can cut a connection
 * at the worst moment for a producer: after the broker wrote a response,
 * before the client read it. The request was processed, the client never
 * hears so and retries on a new connection (what idempotence is for).
 *
 * It follows the framing in both directions (int32 size prefix): requests
 * to learn each correlation id's API key, responses to decide per whole
 * response frame (`shouldCut(apiKey, correlationId)`) whether to deliver it
 * or drop it and close both sides. Point the broker's advertised listener
 * at the proxy so clients reconnect through it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface CutProxyOptions {
  /** Decides for each response whether to drop it and close the connection. */
  shouldCut: (apiKey: number, correlationId: number) => boolean;
}

/** Splits a byte stream into size-prefixed frames. */
class Framer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      frames.push(this.buf.subarray(0, 4 + size));
      this.buf = this.buf.subarray(4 + size);
    }
    return frames;
  }
}

export class CutProxy {
  private upstreamPort = 0;
  private readonly sockets = new Set<Socket>();
  /** Responses dropped so far. */
  cuts = 0;

  private constructor(
    private readonly server: Server,
    private readonly opts: CutProxyOptions,
  ) {}

  static async start(opts: CutProxyOptions): Promise<CutProxy> {
    const server = createServer();
    const proxy = new CutProxy(server, opts);
    server.on('connection', (client) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** Where connections go (set once the broker listens). */
  setUpstream(port: number): void {
    this.upstreamPort = port;
  }

  private accept(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    const keys = new Map<number, number>();
    const requests = new Framer();
    const responses = new Framer();
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('data', (chunk: Buffer) => {
      for (const f of requests.push(chunk)) {
        if (f.length >= 12) keys.set(f.readInt32BE(8), f.readInt16BE(4));
        upstream.write(f);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      for (const f of responses.push(chunk)) {
        if (client.destroyed) return;
        const correlationId = f.readInt32BE(4);
        const apiKey = keys.get(correlationId) ?? -1;
        keys.delete(correlationId);
        if (this.opts.shouldCut(apiKey, correlationId)) {
          this.cuts++;
          closeBoth();
          return;
        }
        client.write(f);
      }
    });
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port nothing listens on right now (for a broker that must know its port before it starts). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const a = s.address();
  const port = typeof a === 'object' && a ? a.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
