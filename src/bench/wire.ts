/**
 * A minimal pipelined Kafka client connection for the load generator.
 *
 * Requests are whole frames (size prefix included) that the caller built
 * once and patches; responses arrive in request order on a connection (the
 * broker guarantees it), so a FIFO of callbacks matches them, and the
 * correlation id is checked against the one the frame carried. Response
 * frames are handed over without their size prefix; a frame split across
 * reads is copied once into one buffer.
 *
 * `request()` is the convenient path for setup traffic (CreateTopics,
 * Metadata, Fetch): it encodes with the generated codec and decodes the
 * response.
 */
import { connect, type Socket } from 'node:net';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { API_SCHEMAS } from '../protocol/generated/api-keys.js';
import { readTaggedFields } from '../protocol/primitives/index.js';

type Schemas = typeof API_SCHEMAS;
export type ApiKey = keyof Schemas;
export type RequestOf<K extends ApiKey> = Parameters<Schemas[K]['request']['encode']>[2];
export type ResponseOf<K extends ApiKey> = ReturnType<Schemas[K]['response']['decode']>;

const API_VERSIONS_KEY = 18;
const CLIENT_ID = 'krill-bench';
/** Byte offset of the correlation id in a request frame: size, api key, api version. */
export const CORRELATION_ID_AT = 8;

interface Pending {
  correlationId: number;
  onResponse: (frame: Buffer) => void;
}

export class WireConnection {
  private readonly pending: Pending[] = [];
  private pendingHead = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private nextCorrelation = 1;
  private failure: Error | null = null;
  private readonly failListeners: Array<(err: Error) => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  static open(host: string, port: number): Promise<WireConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new WireConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.length - this.pendingHead;
  }

  /** Called once if the connection breaks (error, close, protocol mismatch). */
  onFailure(fn: (err: Error) => void): void {
    if (this.failure) fn(this.failure);
    else this.failListeners.push(fn);
  }

  correlationId(): number {
    const id = this.nextCorrelation;
    this.nextCorrelation = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }

  /**
   * Sends a prebuilt frame after writing a fresh correlation id into it.
   * The caller must not touch the frame again until its response arrives.
   */
  send(frame: Buffer, onResponse: (frame: Buffer) => void): void {
    const correlationId = this.correlationId();
    frame.writeInt32BE(correlationId, CORRELATION_ID_AT);
    this.pending.push({ correlationId, onResponse });
    this.socket.write(frame);
  }

  /** Encodes a request frame with the generated codec. */
  static frame<K extends ApiKey>(apiKey: K, version: number, body: RequestOf<K>, correlationId = 0): Buffer {
    const schema = API_SCHEMAS[apiKey].request;
    const flexible = schema.flexibleFrom !== null && version >= schema.flexibleFrom;
    const w = new Writer(1024);
    w.int32(0);
    encodeRequestHeader(w, flexible ? 2 : 1, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: CLIENT_ID });
    (schema.encode as (w: Writer, v: number, m: unknown) => void)(w, version, body);
    const out = w.toBuffer();
    out.writeInt32BE(out.length - 4, 0);
    return out;
  }

  /** Reader positioned after the response header of a response frame. */
  static responseBody(apiKey: number, version: number, frame: Buffer): Reader {
    const r = new Reader(frame);
    r.int32(); // correlation id, already matched
    const schema = API_SCHEMAS[apiKey as ApiKey]?.response;
    const flexible = schema !== undefined && schema.flexibleFrom !== null && version >= schema.flexibleFrom;
    if (flexible && apiKey !== API_VERSIONS_KEY) readTaggedFields(r, null);
    return r;
  }

  /** One request with the generated codec; resolves with the decoded response. */
  request<K extends ApiKey>(apiKey: K, version: number, body: RequestOf<K>): Promise<ResponseOf<K>> {
    const frame = WireConnection.frame(apiKey, version, body);
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.onFailure(reject);
      this.send(frame, (res) => {
        try {
          const r = WireConnection.responseBody(apiKey, version, res);
          resolve(API_SCHEMAS[apiKey].response.decode(r, version) as ResponseOf<K>);
        } catch (err) {
          reject(err as Error);
        }
      });
    });
  }

  close(): void {
    this.failListeners.length = 0;
    this.socket.removeAllListeners('close');
    this.socket.on('error', () => undefined);
    this.socket.destroy();
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const fn of this.failListeners.splice(0)) fn(err);
  }

  private onData(data: Buffer): void {
    this.chunks.push(data);
    this.buffered += data.length;
    while (this.buffered >= 4) {
      const size = this.peekSize();
      if (this.buffered < 4 + size) return;
      this.take(4);
      this.deliver(this.take(size));
    }
  }

  private deliver(frame: Buffer): void {
    const p = this.pending[this.pendingHead];
    if (p === undefined) return this.fail(new Error('response without a request'));
    const correlationId = frame.readInt32BE(0);
    if (correlationId !== p.correlationId) {
      return this.fail(new Error(`response correlation id ${correlationId}, expected ${p.correlationId}`));
    }
    this.pendingHead++;
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    p.onResponse(frame);
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    return this.copyOut(4, false).readInt32BE(0);
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return first.subarray(0, n);
    }
    return this.copyOut(n, true);
  }

  /** Copies the first n buffered bytes into one buffer, consuming them when asked. */
  private copyOut(n: number, consume: boolean): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let i = 0;
    while (filled < n) {
      const c = this.chunks[i];
      const k = Math.min(c.length, n - filled);
      c.copy(out, filled, 0, k);
      filled += k;
      if (!consume) i++;
      else if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    if (consume) this.buffered -= n;
    return out;
  }
}
