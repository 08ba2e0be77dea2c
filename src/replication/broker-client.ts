/**
 * An outbound connection from this broker to another one (replica
 * fetchers), speaking the Kafka protocol with Krill's generated codec.
 * Requests are pipelined and answered in order (Kafka's per-connection
 * guarantee); the correlation id of every answer is checked. Any failure
 * (socket error, timeout, garbled frame) closes the connection and fails
 * every pending request, and the caller reconnects.
 */
import { connect, type Socket } from 'node:net';
import { API_SCHEMAS } from '../protocol/generated/api-keys.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { Reader, Writer, readTaggedFields, type Input } from '../protocol/primitives/index.js';

type Schemas = typeof API_SCHEMAS;
export type BrokerApiKey = keyof Schemas;
export type RequestOf<K extends BrokerApiKey> = Parameters<Schemas[K]['request']['encode']>[2];
export type ResponseOf<K extends BrokerApiKey> = ReturnType<Schemas[K]['response']['decode']>;

/** Largest response frame accepted (a fetch answer is bounded by replica.fetch.response.max.bytes). */
const MAX_FRAME_BYTES = 256 * 1024 * 1024;

export class BrokerConnectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrokerConnectionError';
  }
}

interface Pending {
  readonly correlationId: number;
  readonly decode: (frame: Buffer) => unknown;
  readonly resolve: (v: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

function flexible(side: { flexibleFrom: number | null }, version: number): boolean {
  return side.flexibleFrom !== null && version >= side.flexibleFrom;
}

export class BrokerConnection {
  #buf: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];
  #correlation = 0;
  #closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', () => undefined);
    socket.on('close', () => this.#fail(new BrokerConnectionError('connection closed')));
  }

  static connect(host: string, port: number, clientId: string, timeoutMs: number): Promise<BrokerConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new BrokerConnectionError(`cannot connect to ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new BrokerConnection(socket, clientId));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new BrokerConnectionError(`cannot connect to ${host}:${port}: ${err.message}`));
      });
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  request<K extends BrokerApiKey>(apiKey: K, version: number, body: Input<RequestOf<K>>, timeoutMs: number): Promise<ResponseOf<K>> {
    if (this.#closed) return Promise.reject(new BrokerConnectionError('connection closed'));
    const schema = API_SCHEMAS[apiKey];
    const correlationId = ++this.#correlation;
    const w = new Writer();
    w.int32(0);
    encodeRequestHeader(w, flexible(schema.request, version) ? 2 : 1, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.clientId });
    (schema.request.encode as (w: Writer, v: number, m: unknown) => void)(w, version, body);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const decode = (f: Buffer): unknown => {
      const r = new Reader(f);
      r.int32();
      if (flexible(schema.response, version)) readTaggedFields(r, null);
      return (schema.response.decode as (r: Reader, v: number) => unknown)(r, version);
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.#fail(new BrokerConnectionError(`no answer to API ${apiKey} within ${timeoutMs} ms`)), timeoutMs);
      this.#pending.push({ correlationId, decode, resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.#fail(new BrokerConnectionError('connection closed'));
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 4) {
      const size = this.#buf.readInt32BE(0);
      if (size < 4 || size > MAX_FRAME_BYTES) return this.#fail(new BrokerConnectionError(`bad response frame size ${size}`));
      if (this.#buf.length < 4 + size) return;
      const frame = this.#buf.subarray(4, 4 + size);
      this.#buf = this.#buf.subarray(4 + size);
      const p = this.#pending.shift();
      if (!p) return this.#fail(new BrokerConnectionError('a response nobody asked for'));
      clearTimeout(p.timer);
      if (frame.readInt32BE(0) !== p.correlationId) return this.#fail(new BrokerConnectionError(`correlation id ${frame.readInt32BE(0)}, expected ${p.correlationId}`));
      try {
        p.resolve(p.decode(frame));
      } catch (err) {
        p.reject(new BrokerConnectionError(`undecodable response: ${(err as Error).message}`));
        return this.#fail(new BrokerConnectionError('undecodable response'));
      }
    }
  }

  #fail(err: Error): void {
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
    }
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
