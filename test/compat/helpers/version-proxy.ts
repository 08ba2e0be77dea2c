/**
 * A TCP proxy in front of Krill that records the API key and version of
 * every request a client sends, so the matrix can log (and the README list)
 * the versions each client negotiates. Krill advertises the proxy's address,
 * so clients reach every broker through it after bootstrapping.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { API_NAMES } from '../../../src/protocol/generated/api-keys.js';

export class VersionProxy {
  /** Versions seen per API key. */
  readonly seen = new Map<number, Set<number>>();
  private target = '';
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<VersionProxy> {
    const server = createServer();
    const proxy = new VersionProxy(server);
    server.on('connection', (s) => proxy.accept(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  setTarget(address: string): void {
    this.target = address;
  }

  private accept(client: Socket): void {
    const i = this.target.lastIndexOf(':');
    const upstream = connect({ host: this.target.slice(0, i), port: Number(this.target.slice(i + 1)) });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    upstream.pipe(client);
    let buf: Buffer = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      while (buf.length >= 8 && buf.length >= 4 + buf.readInt32BE(0)) {
        this.note(buf.readInt16BE(4), buf.readInt16BE(6));
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
      upstream.write(d);
    });
  }

  private note(apiKey: number, version: number): void {
    let vs = this.seen.get(apiKey);
    if (!vs) this.seen.set(apiKey, (vs = new Set()));
    vs.add(version);
  }

  /** "ApiVersions v3, Metadata v4+v12, ..." in API key order. */
  summary(): string {
    return [...this.seen]
      .sort((a, b) => a[0] - b[0])
      .map(([k, vs]) => `${API_NAMES[k] ?? k} v${[...vs].sort((a, b) => a - b).join('+v')}`)
      .join(', ');
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
