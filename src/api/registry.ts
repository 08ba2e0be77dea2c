/**
 * The API registry: each handler module registers its key and version range
 * here, and ApiVersions is computed from the registry, so what Krill
 * advertises always matches the handlers that exist.
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

export interface SchemaMeta<T> {
  readonly apiKey?: number;
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
  handle(ctx: RequestContext, req: Req): Promise<Input<Res> | NoResponse | CloseConnection> | Input<Res> | NoResponse | CloseConnection;
}

export interface RegisteredApi {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  acceptFrom: number;
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
    request: spec.request as SchemaMeta<unknown>,
    response: spec.response as SchemaMeta<unknown>,
    handle: spec.handle as RegisteredApi['handle'],
  });
}

export function lookupApi(apiKey: number): RegisteredApi | undefined {
  return registry.get(apiKey);
}

export function registeredApis(): RegisteredApi[] {
  return [...registry.values()].sort((a, b) => a.apiKey - b.apiKey);
}

/** Schema of any API key, registered or not (to parse the request header version). */
export function requestSchema(apiKey: number): SchemaMeta<unknown> | undefined {
  return (API_SCHEMAS as Record<number, { request: SchemaMeta<unknown> } | undefined>)[apiKey]?.request;
}
