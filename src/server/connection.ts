/**
 * One client connection: frames in, responses out in request order.
 *
 * Frames are read ahead (up to queued.max.requests) and run through a
 * RequestPipeline (request-pipeline.ts): requests run one at a time, as a
 * Kafka broker does per connection, except that a pipelined API (Produce)
 * starts once the request before it is sequenced (its appends queued), so
 * produce order and response order still follow request order. Responses
 * finished in one event-loop turn are written together at the end of the
 * turn (setImmediate) in one socket write. Reading pauses while the socket's
 * write buffer is over its high-water mark or the read-ahead queue is full
 * (backpressure), and resumes when both drain.
 *
 * A bad size prefix, an undecodable header or body, an unknown API key (or
 * one this listener's scope does not serve: client vs CONTROLLER listener) or
 * a version outside the advertised range closes this connection only (after a
 * log line; responses to earlier requests are written first); ApiVersions
 * with a version newer than Krill's is answered with a v0 body carrying
 * UNSUPPORTED_VERSION and the supported ranges (KIP-511).
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Reader, Writer } from '../protocol/primitives/index.js';
import { decodeRequestHeader } from '../protocol/generated/request-header.js';
import { encodeApiVersionsResponse } from '../protocol/generated/api-versions-response.js';
import { CLOSE_CONNECTION, NO_RESPONSE, lookupApi, requestSchema, supportedApiVersions, type BrokerServices, type ListenerScope, type RequestContext } from '../api/index.js';
import { ErrorCode } from '../api/error-codes.js';
import { FrameDecoder } from './frame-decoder.js';
import { RequestPipeline, type Outcome } from './request-pipeline.js';
import { coalesce } from './coalesce.js';

const API_VERSIONS = 18;
const WRITE_HIGH_WATER = 8 * 1024 * 1024;
const NONE: Outcome = { kind: 'none' };

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
  private readonly pipeline: RequestPipeline;
  /** Response chunks waiting for the end-of-turn write. */
  private out: Buffer[] = [];
  private flushScheduled = false;
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
    this.pipeline = new RequestPipeline((o) => this.deliver(o), opts.ready === undefined);
    if (opts.ready) opts.ready.then(() => this.pipeline.start(), () => this.close('broker failed to start'));
    socket.setNoDelay(true);
    if (opts.idleTimeoutMs > 0) socket.setTimeout(opts.idleTimeoutMs, () => this.close('idle timeout'));
    socket.on('data', (d) => this.onData(d));
    socket.on('drain', () => this.maybeResume());
    socket.on('error', (err) => this.log.debug({ err, conn: this.id }, 'socket error'));
    socket.on('close', () => {
      this.closed = true;
      this.pipeline.stop();
      this.out = [];
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
    for (const frame of frames) {
      const api = lookupApi(frame.readInt16BE(0), this.opts.scope ?? 'broker');
      this.pipeline.push({ pipelined: api?.pipelined ?? false, run: (sequenced) => this.handle(frame, sequenced) });
      if (this.closed) return;
    }
    if (this.pipeline.size >= this.opts.queuedMaxRequests) this.pauseReading();
  }

  private pauseReading(): void {
    if (!this.readPaused) {
      this.readPaused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.readPaused && !this.closed && this.pipeline.size < this.opts.queuedMaxRequests && this.socket.writableLength < WRITE_HIGH_WATER) {
      this.readPaused = false;
      this.socket.resume();
    }
  }

  /** Outcomes arrive in request order: queue responses for the end-of-turn write; close after what came before. */
  private deliver(o: Outcome): void {
    if (this.closed) return;
    if (o.kind === 'response') {
      for (const c of o.chunks) this.out.push(c);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    } else if (o.kind === 'close') {
      this.flush();
      this.close(o.reason);
      return;
    }
    this.maybeResume();
  }

  /** Writes every queued response with one socket write. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.out.length === 0) return;
    const chunks = coalesce(this.out);
    this.out = [];
    if (chunks.length === 1) {
      this.socket.write(chunks[0]);
    } else {
      this.socket.cork();
      for (const c of chunks) this.socket.write(c);
      this.socket.uncork();
    }
    if (this.socket.writableLength >= WRITE_HIGH_WATER) this.pauseReading();
    else this.maybeResume();
  }

  private closing(reason: string, logLine: string, fields: Record<string, unknown>, level: 'warn' | 'error' = 'warn'): Outcome {
    this.log[level]({ conn: this.id, ...fields }, logLine);
    return { kind: 'close', reason };
  }

  private handle(frame: Buffer, sequenced: () => void): Outcome | Promise<Outcome> {
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const schema = requestSchema(apiKey);
    const api = lookupApi(apiKey, this.opts.scope ?? 'broker');
    if (!schema || !api) return this.closing('unknown api key', 'closing connection: unknown or unsupported API key', { apiKey, apiVersion });
    const flexible = schema.flexibleFrom !== null && apiVersion >= schema.flexibleFrom;
    const r = new Reader(frame);
    let clientId: string | null;
    try {
      clientId = decodeRequestHeader(r, flexible ? 2 : 1).clientId;
    } catch (err) {
      return this.closing('bad header', 'closing connection: undecodable request header', { apiKey, err: (err as Error).message });
    }
    if (apiVersion < api.acceptFrom || apiVersion > api.maxVersion) {
      if (apiKey === API_VERSIONS) return this.unsupportedApiVersions(correlationId);
      return this.closing('unsupported version', 'closing connection: unsupported API version', { api: api.name, apiVersion, supported: `${api.acceptFrom}-${api.maxVersion}` });
    }
    let req: unknown;
    try {
      req = api.request.decode(r, apiVersion);
    } catch (err) {
      return this.closing('bad request', 'closing connection: undecodable request', { api: api.name, apiVersion, err: (err as Error).message });
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
      sequenced,
    };
    const respond = (res: unknown): Outcome => {
      if (res === NO_RESPONSE) return NONE;
      if (res === CLOSE_CONNECTION) return { kind: 'close', reason: 'request failed without a response' };
      const w = new Writer(512);
      w.int32(0); // size, patched below
      w.int32(correlationId);
      if (flexible && apiKey !== API_VERSIONS) w.uvarint(0); // response header v1: no tagged fields
      try {
        api.response.encode(w, apiVersion, res as never);
      } catch (err) {
        return this.closing('encode error', 'response could not be encoded; closing the connection', { api: api.name, apiVersion, err }, 'error');
      }
      return framed(w);
    };
    const failed = (err: unknown): Outcome =>
      this.closing('handler error', 'handler failed; closing the connection', { api: api.name, apiVersion, err }, 'error');
    let res: unknown;
    try {
      res = api.handle(ctx, req);
    } catch (err) {
      return failed(err);
    }
    return res instanceof Promise ? res.then(respond, failed) : respond(res);
  }

  private unsupportedApiVersions(correlationId: number): Outcome {
    const w = new Writer(512);
    w.int32(0);
    w.int32(correlationId);
    encodeApiVersionsResponse(w, 0, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: supportedApiVersions(this.opts.scope ?? 'broker') });
    return framed(w);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.stop();
    this.out = [];
    this.log.debug({ conn: this.id, reason }, 'closing connection');
    this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.pipeline.stop();
    this.socket.destroy();
  }
}

/** A response's chunks with its size prefix filled in. */
function framed(w: Writer): Outcome {
  const chunks = w.chunksView();
  chunks[0].writeInt32BE(w.length - 4, 0);
  return { kind: 'response', chunks };
}
