/** Where clients reach each broker, as the metadata image records it. */
import type { BrokerImage, MetadataImage } from '../controller/metadata-image.js';

export interface Endpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

/** A broker's endpoint on the named listener (the one the request came on), if it has one. */
export function endpointOf(b: BrokerImage, listenerName: string): Endpoint | undefined {
  const e = b.endpoints.find((x) => x.name === listenerName) ?? (b.endpoints.length === 1 ? b.endpoints[0] : undefined);
  return e ? { nodeId: b.id, host: e.host, port: e.port, rack: b.rack } : undefined;
}

export function liveEndpoints(image: MetadataImage, listenerName: string): Endpoint[] {
  const out: Endpoint[] = [];
  for (const b of image.liveBrokers()) {
    const e = endpointOf(b, listenerName);
    if (e) out.push(e);
  }
  return out;
}

export const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state']);

/**
 * The controller id clients are given: the active controller when it is also
 * a live broker, else this broker (KRaft brokers forward admin requests to
 * the active controller, so any live broker serves).
 */
export function clientControllerId(image: MetadataImage, activeControllerId: number, selfId: number): number {
  const b = image.brokers.get(activeControllerId);
  return b && !b.fenced ? activeControllerId : selfId;
}
