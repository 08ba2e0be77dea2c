/**
 * A raw Kafka protocol client over TCP built on Krill's own codec, for tests
 * that need exact bytes: malformed frames, specific versions, limits.
 */
import { connect, type Socket } from 'node:net';
import { Reader, Writer, type Input } from '../../src/protocol/primitives/index.js';
import { encodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { API_SCHEMAS } from '../../src/protocol/generated/api-keys.js';

type Schemas = typeof API_SCHEMAS;
type Key = keyof Schemas;
type Req<K extends Key> = Parameters<Schemas[K]['request']['encode']>[2];
type Res<K extends Key> = ReturnType<Schemas[K]['response']['decode']>;

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<(frame: Buffer) => void> = [];
  private correlation = 1;
  closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        this.waiters.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(bootstrap: string): Promise<RawClient> {
    const [host, port] = bootstrap.split(':');
    const socket = connect({ host, port: Number(port) });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  /** Sends raw bytes as they are. */
  writeRaw(b: Buffer): void {
    this.socket.write(b);
  }

  /** The next response frame (without its size prefix). */
  nextFrame(timeoutMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no response frame')), timeoutMs);
      this.waiters.push((f) => {
        clearTimeout(t);
        resolve(f);
      });
    });
  }

  /** Encodes a request frame with Krill's codec. */
  frame<K extends Key>(apiKey: K, version: number, body: Req<K>, correlationId = this.correlation++): Buffer {
    const schema = API_SCHEMAS[apiKey].request;
    const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, flexible ? 2 : 1, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: 'raw-test' });
    (schema.encode as (w: Writer, v: number, m: unknown) => void)(w, version, body);
    const out = w.toBuffer();
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }

  async request<K extends Key>(apiKey: K, version: number, body: Req<K>): Promise<Res<K>> {
    const correlationId = this.correlation++;
    const wait = this.nextFrame();
    this.writeRaw(this.frame(apiKey, version, body, correlationId));
    const frame = await wait;
    const r = new Reader(frame);
    const gotId = r.int32();
    if (gotId !== correlationId) throw new Error(`correlation id ${gotId}, expected ${correlationId}`);
    const schema = API_SCHEMAS[apiKey].response;
    const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
    if (flexible && apiKey !== 18) r.uvarint(); // response header tagged fields (none expected)
    return (schema.decode as (r: Reader, v: number) => unknown)(r, version) as Res<K>;
  }

  close(): void {
    this.socket.destroy();
  }
}

export type { Input };
