/**
 * One client connection: frames in, responses out in request order.
 *
 * Frames are read ahead (up to queued.max.requests) while requests run one
 * at a time, as a Kafka broker does per connection, so produce order and
 * response order follow request order. Reading pauses while the socket's
 * write buffer is over its high-water mark or the read-ahead queue is full
 * (backpressure), and resumes when both drain.
 *
 * A bad size prefix, an undecodable header or body, an unknown API key (or
 * one this listener's scope does not serve: client vs CONTROLLER listener) or
 * a version outside the advertised range closes this connection only (after a
 * log line); ApiVersions with a version newer than Krill's is answered with
 * a v0 body carrying UNSUPPORTED_VERSION and the supported ranges (KIP-511).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { decodeRequestHeader } from '../protocol/generated/request-header.js';
import { encodeApiVersionsResponse } from '../protocol/generated/api-versions-response.js';
import { CLOSE_CONNECTION, NO_RESPONSE, lookupApi, requestSchema, supportedApiVersions, type BrokerServices, type ListenerScope, type RequestContext } from '../api/index.js';
import { ErrorCode } from '../api/error-codes.js';
import { FrameDecoder } from './frame-decoder.js';

const API_VERSIONS = 18;
const WRITE_HIGH_WATER = 8 * 1024 * 1024;

export interface ConnectionOptions {
  maxRequestBytes: number;
  queuedMaxRequests: number;
  idleTimeoutMs: number;
  listenerName: string;
  /** Client listener ('broker', the default) or CONTROLLER listener: which APIs are served and advertised. */
  scope?: ListenerScope;
  /**
   * Requests wait for this before any is handled (a broker serves clients
   * only once its metadata has caught up, as Kafka's BrokerServer does).
   */
  ready?: Promise<void>;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  private running = false;
  private closed = false;
  private readPaused = false;
  readonly id: string;
  readonly clientAddress: string;

  constructor(
    private readonly socket: Socket,
    private readonly services: BrokerServices,
    private readonly opts: ConnectionOptions,
    private readonly log: Logger,
    private readonly onClose: (c: Connection) => void,
  ) {
    this.clientAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.id = `${socket.localAddress}:${socket.localPort}-${this.clientAddress}`;
    this.decoder = new FrameDecoder(opts.maxRequestBytes);
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    socket.on('data', (d) => this.onData(d));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug({ err, conn: this.id }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.queue.length = 0;
      this.onClose(this);
    });
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(data);
    } catch (err) {
      this.log.warn({ conn: this.id, err: (err as Error).message }, 'closing connection: bad request frame');
      this.close('bad frame');
      return;
    }
    for (const f of frames) this.queue.push(f);
    if (this.queue.length >= this.opts.queuedMaxRequests) this.pauseReading();
    if (!this.running) void this.drainQueue();
  }

  private pauseReading(): void {
    if (!this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.readPaused && !this.closed && this.queue.length < this.opts.queuedMaxRequests && this.socket.writableLength < WRITE_HIGH_WATER) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  private async drainQueue(): Promise<void> {
    this.running = true;
    try {
      if (this.opts.ready) await this.opts.ready;
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!;
        await this.handle(frame);
        if (this.socket.writableLength >= WRITE_HIGH_WATER) this.pauseReading();
        else this.maybeResume();
      }
    } finally {
      this.running = false;
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const schema = requestSchema(apiKey);
    const api = lookupApi(apiKey, this.opts.scope ?? 'broker');
    if (!schema || !api) {
      this.log.warn({ conn: this.id, apiKey, apiVersion }, 'closing connection: unknown or unsupported API key');
      return this.close('unknown api key');
    }
    const flexible = schema.flexibleFrom !== null && apiVersion >= schema.flexibleFrom;
    const r = new Reader(frame);
    let clientId: string | null;
    try {
      clientId = decodeRequestHeader(r, flexible ? 2 : 1).clientId;
    } catch (err) {
      this.log.warn({ conn: this.id, apiKey, err: (err as Error).message }, 'closing connection: undecodable request header');
      return this.close('bad header');
    }
    if (apiVersion < api.acceptFrom || apiVersion > api.maxVersion) {
      if (apiKey === API_VERSIONS) return this.sendUnsupportedApiVersions(correlationId);
      this.log.warn(
        { conn: this.id, api: api.name, apiVersion, supported: `${api.acceptFrom}-${api.maxVersion}` },
        'closing connection: unsupported API version',
      );
      return this.close('unsupported version');
    }
    let req: unknown;
    try {
      req = api.request.decode(r, apiVersion);
    } catch (err) {
      this.log.warn({ conn: this.id, api: api.name, apiVersion, err: (err as Error).message }, 'closing connection: undecodable request');
      return this.close('bad request');
    }
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      listenerName: this.opts.listenerName,
      listenerScope: this.opts.scope ?? 'broker',
      clientAddress: this.clientAddress,
      broker: this.services,
    };
    let res: unknown;
    try {
      res = await api.handle(ctx, req);
    } catch (err) {
      this.log.error({ conn: this.id, api: api.name, apiVersion, err }, 'handler failed; closing the connection');
      return this.close('handler error');
    }
    if (res === NO_RESPONSE) return;
    if (res === CLOSE_CONNECTION) return this.close('request failed without a response');
    const w = new Writer(512);
    w.int32(0); // size, patched below
    w.int32(correlationId);
    if (flexible && apiKey !== API_VERSIONS) w.uvarint(0); // response header v1: no tagged fields
    try {
      api.response.encode(w, apiVersion, res as never);
    } catch (err) {
      this.log.error({ conn: this.id, api: api.name, apiVersion, err }, 'response could not be encoded; closing the connection');
      return this.close('encode error');
    }
    this.write(w);
  }

  private sendUnsupportedApiVersions(correlationId: number): void {
    const w = new Writer(512);
    w.int32(0);
    w.int32(correlationId);
    encodeApiVersionsResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions(this.opts.scope ?? 'broker') });
    this.write(w);
  }

  private write(w: Writer): void {
    if (this.closed) return;
    const chunks = w.chunksView();
    chunks[0].writeInt32BE(w.length - 4, 0);
    this.socket.cork();
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.log.debug({ conn: this.id, reason }, 'closing connection');
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
