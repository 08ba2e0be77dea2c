/**
 * Outbound Kafka-protocol connections between Krill nodes (Raft messages,
 * broker registration and heartbeats, requests forwarded to the active
 * controller), framed and decoded with Krill's own codec.
 *
 * A `KafkaClientPool` keeps one connection per (address, lane). Lanes keep
 * long polls from blocking short requests: a Kafka server answers the
 * requests of one connection in order, so a Raft Fetch parked for 500 ms on
 * the leader would delay a Vote queued behind it on the same connection.
 *
 * Requests on one connection are pipelined and matched to responses in
 * order (the correlation id is checked). A timeout or a decode error
 * poisons the connection (later frames could no longer be matched), so it is
 * closed and every request waiting on it fails; the next request reconnects.
 */
import { connect, type Socket } from 'node:net';
import { Reader, Writer, readTaggedFields } from '../protocol/primitives/index.js';
import { encodeRequestHeader } from '../protocol/generated/request-header.js';
import { API_SCHEMAS } from '../protocol/generated/api-keys.js';

export type Schemas = typeof API_SCHEMAS;
export type ApiKeyOf = keyof Schemas;
export type RequestOf<K extends ApiKeyOf> = Parameters<Schemas[K]['request']['encode']>[2];
export type ResponseOf<K extends ApiKeyOf> = ReturnType<Schemas[K]['response']['decode']>;

const API_VERSIONS = 18;
/** Largest response frame accepted (a corrupt size prefix must not allocate gigabytes). */
const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

export class KafkaClientError extends Error {
  constructor(
    message: string,
    readonly kind: 'connect' | 'closed' | 'timeout' | 'decode',
  ) {
    super(message);
    this.name = 'KafkaClientError';
  }
}

export interface Address {
  readonly host: string;
  readonly port: number;
}

interface Pending {
  correlationId: number;
  decode(frame: Reader): unknown;
  resolve(v: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

function flexible(apiKey: number, version: number, side: 'request' | 'response'): boolean {
  const schemas = API_SCHEMAS as Record<number, { request: { flexibleFrom: number | null }; response: { flexibleFrom: number | null } } | undefined>;
  const from = schemas[apiKey]?.[side].flexibleFrom ?? null;
  return from !== null && version >= from;
}

/** One TCP connection to a Kafka-protocol server. */
export class KafkaClientConnection {
  #buf: Buffer = Buffer.alloc(0);
  readonly #pending: Pending[] = [];
  #correlation = 1;
  #closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly clientId: string,
  ) {
    socket.on('data', (d: Buffer) => this.#onData(d));
    socket.on('error', () => undefined);
    socket.once('close', () => this.#fail(new KafkaClientError('connection closed by the peer', 'closed')));
  }

  static connect(address: Address, clientId: string, timeoutMs: number): Promise<KafkaClientConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: address.host, port: address.port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new KafkaClientError(`cannot connect to ${address.host}:${address.port} within ${timeoutMs} ms`, 'connect'));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new KafkaClientConnection(socket, clientId));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new KafkaClientError(`cannot connect to ${address.host}:${address.port}: ${err.message}`, 'connect'));
      });
    });
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  request<K extends ApiKeyOf>(apiKey: K, version: number, body: RequestOf<K>, timeoutMs: number): Promise<ResponseOf<K>> {
    if (this.#closed) return Promise.reject(new KafkaClientError('connection is closed', 'closed'));
    const correlationId = this.#correlation++;
    const w = new Writer(256);
    w.int32(0);
    encodeRequestHeader(w, flexible(apiKey, version, 'request') ? 2 : 1, {
      requestApiKey: apiKey,
      requestApiVersion: version,
      correlationId,
      clientId: this.clientId,
    });
    (API_SCHEMAS[apiKey].request.encode as (w: Writer, v: number, m: unknown) => void)(w, version, body);
    const frame = w.toBuffer();
    frame.writeInt32BE(frame.length - 4, 0);
    const responseFlexible = apiKey !== API_VERSIONS && flexible(apiKey, version, 'response');
    return new Promise<ResponseOf<K>>((resolve, reject) => {
      const pending: Pending = {
        correlationId,
        decode: (r) => {
          if (responseFlexible) readTaggedFields(r, null);
          return (API_SCHEMAS[apiKey].response.decode as (r: Reader, v: number) => unknown)(r, version);
        },
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: setTimeout(() => this.#fail(new KafkaClientError(`no response to API ${apiKey} within ${timeoutMs} ms`, 'timeout')), timeoutMs),
      };
      this.#pending.push(pending);
      this.socket.write(frame);
    });
  }

  #onData(d: Buffer): void {
    this.#buf = this.#buf.length === 0 ? d : Buffer.concat([this.#buf, d]);
    while (this.#buf.length >= 4) {
      const size = this.#buf.readInt32BE(0);
      if (size < 4 || size > MAX_RESPONSE_BYTES) {
        this.#fail(new KafkaClientError(`bad response frame size ${size}`, 'decode'));
        return;
      }
      if (this.#buf.length < 4 + size) break;
      const frame = this.#buf.subarray(4, 4 + size);
      this.#buf = this.#buf.subarray(4 + size);
      const p = this.#pending.shift();
      if (!p) {
        this.#fail(new KafkaClientError('response without a request', 'decode'));
        return;
      }
      clearTimeout(p.timer);
      try {
        const r = new Reader(frame);
        const id = r.int32();
        if (id !== p.correlationId) throw new Error(`correlation id ${id}, expected ${p.correlationId}`);
        p.resolve(p.decode(r));
      } catch (err) {
        p.reject(new KafkaClientError(`undecodable response: ${(err as Error).message}`, 'decode'));
        this.#fail(new KafkaClientError('connection closed after an undecodable response', 'decode'));
        return;
      }
    }
  }

  #fail(err: KafkaClientError): void {
    if (!this.#closed) {
      this.#closed = true;
      this.socket.destroy();
    }
    for (const p of this.#pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  close(): void {
    this.#fail(new KafkaClientError('connection closed', 'closed'));
  }
}

export interface KafkaClientPoolOptions {
  readonly clientId: string;
  readonly connectTimeoutMs?: number;
}

/** Connections by (address, lane), opened on first use and reopened after a failure. */
export class KafkaClientPool {
  readonly #conns = new Map<string, Promise<KafkaClientConnection>>();
  readonly #clientId: string;
  readonly #connectTimeoutMs: number;
  #closed = false;

  constructor(opts: KafkaClientPoolOptions) {
    this.#clientId = opts.clientId;
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 3000;
  }

  async request<K extends ApiKeyOf>(address: Address, lane: string, apiKey: K, version: number, body: RequestOf<K>, timeoutMs: number): Promise<ResponseOf<K>> {
    if (this.#closed) throw new KafkaClientError('client pool is closed', 'closed');
    const key = `${address.host}:${address.port}/${lane}`;
    let conn = this.#conns.get(key);
    if (!conn) {
      conn = KafkaClientConnection.connect(address, this.#clientId, Math.min(this.#connectTimeoutMs, timeoutMs));
      this.#conns.set(key, conn);
      conn.catch(() => {
        if (this.#conns.get(key) === conn) this.#conns.delete(key);
      });
    }
    const c = await conn;
    if (c.isClosed) {
      if (this.#conns.get(key) === conn) this.#conns.delete(key);
      return this.request(address, lane, apiKey, version, body, timeoutMs);
    }
    try {
      return await c.request(apiKey, version, body, timeoutMs);
    } finally {
      if (c.isClosed && this.#conns.get(key) === conn) this.#conns.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    for (const conn of this.#conns.values()) conn.then((c) => c.close(), () => undefined);
    this.#conns.clear();
  }
}
