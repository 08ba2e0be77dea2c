/**
 * The API registry: each handler module registers its key and version range
 * here, and ApiVersions is computed from the registry, so what Krill
 * advertises always matches the handlers that exist.
 *
 * Listener scope: an API is served on client (broker) listeners, on
 * CONTROLLER listeners, or both, as its schema's `listeners` say (Kafka's
 * JSON: "broker", "controller"); a spec may narrow that. A listener only
 * dispatches and advertises the APIs of its scope, so client listeners do
 * not offer Vote or BrokerHeartbeat, and controller listeners offer what a
 * KRaft controller does.
 */
import { API_NAMES, API_SCHEMAS } from '../protocol/generated/api-keys.js';
import type { Input, Reader, Writer } from '../protocol/primitives/index.js';
import type { RequestContext } from './context.js';

/** Returned by a handler when no response may be sent (Produce with acks=0). */
export const NO_RESPONSE: unique symbol = Symbol('no-response');
export type NoResponse = typeof NO_RESPONSE;
/** Returned by a handler to close the connection instead of answering (acks=0 produce that failed). */
export const CLOSE_CONNECTION: unique symbol = Symbol('close-connection');
export type CloseConnection = typeof CLOSE_CONNECTION;

/** Where an API is served: client listeners ('broker') or CONTROLLER listeners ('controller'). */
export type ListenerScope = 'broker' | 'controller';

export interface SchemaMeta<T> {
  readonly apiKey?: number;
  /** Kafka's listener types for the API (request schemas). */
  readonly listeners?: readonly string[];
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly flexibleFrom: number | null;
  decode(r: Reader, v: number): T;
  encode(w: Writer, v: number, m: Input<T>): void;
}

export interface ApiSpec<Req, Res> {
  request: SchemaMeta<Req>;
  response: SchemaMeta<Res>;
  /** Lowest version advertised in ApiVersions. */
  minVersion: number;
  maxVersion: number;
  /** Lowest version actually accepted, when it is above minVersion (Produce: KAFKA-18659). */
  acceptFrom?: number;
  /** Listener scopes served; defaults to the schema's `listeners` (broker and/or controller). */
  listeners?: readonly ListenerScope[];
  /**
   * Pipelining (server/request-pipeline.ts): a request of this API may start
   * before the previous request on its connection is done, once that one is
   * sequenced. Set it only for a handler that calls ctx.sequenced() at its
   * ordering point and whose effects need no more than that from earlier
   * requests (Produce). Others run one at a time per connection.
   */
  pipelined?: boolean;
  handle(ctx: RequestContext, req: Req): Promise<Input<Res> | NoResponse | CloseConnection> | Input<Res> | NoResponse | CloseConnection;
}

export interface RegisteredApi {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  acceptFrom: number;
  listeners: ReadonlySet<ListenerScope>;
  pipelined: boolean;
  request: SchemaMeta<unknown>;
  response: SchemaMeta<unknown>;
  handle(ctx: RequestContext, req: unknown): Promise<unknown> | unknown;
}

const registry = new Map<number, RegisteredApi>();

export function registerApi<Req, Res>(spec: ApiSpec<Req, Res>): void {
  const apiKey = spec.request.apiKey;
  if (apiKey === undefined) throw new Error(`${spec.request.name} has no api key`);
  if (registry.has(apiKey)) throw new Error(`API ${apiKey} registered twice`);
  if (spec.maxVersion > spec.request.maxVersion || spec.minVersion < spec.request.minVersion) {
    throw new Error(`${spec.request.name}: versions ${spec.minVersion}-${spec.maxVersion} outside the schema's`);
  }
  registry.set(apiKey, {
    apiKey,
    name: API_NAMES[apiKey] ?? spec.request.name,
    minVersion: spec.minVersion,
    maxVersion: spec.maxVersion,
    acceptFrom: spec.acceptFrom ?? spec.minVersion,
    listeners: new Set(spec.listeners ?? scopesOf(spec.request.listeners)),
    pipelined: spec.pipelined ?? false,
    request: spec.request as SchemaMeta<unknown>,
    response: spec.response as SchemaMeta<unknown>,
    handle: spec.handle as RegisteredApi['handle'],
  });
}

/** Kafka's listener types mapped to Krill's scopes; a schema naming none is served to clients. */
function scopesOf(listeners: readonly string[] | undefined): ListenerScope[] {
  const out: ListenerScope[] = [];
  if (!listeners || listeners.includes('broker')) out.push('broker');
  if (listeners?.includes('controller')) out.push('controller');
  return out;
}

/** The handler of apiKey on a listener of the given scope (clients' listeners by default). */
export function lookupApi(apiKey: number, scope: ListenerScope = 'broker'): RegisteredApi | undefined {
  const api = registry.get(apiKey);
  return api && api.listeners.has(scope) ? api : undefined;
}

/** The APIs a listener of the given scope serves, by key. */
export function registeredApis(scope: ListenerScope = 'broker'): RegisteredApi[] {
  return [...registry.values()].filter((a) => a.listeners.has(scope)).sort((a, b) => a.apiKey - b.apiKey);
}

/** Schema of any API key, registered or not (to parse the request header version). */
export function requestSchema(apiKey: number): SchemaMeta<unknown> | undefined {
  return (API_SCHEMAS as Record<number, { request: SchemaMeta<unknown> } | undefined>)[apiKey]?.request;
}
