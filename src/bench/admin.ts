/**
 * Setup traffic for the benchmark over Krill's own codec: create a topic,
 * wait until every partition answers a fetch, read end offsets, and build
 * fetch requests (shared by the consumers).
 */
import type { FetchResponse } from '../protocol/generated/fetch-response.js';
import { WireConnection, type RequestOf } from './wire.js';

export const PRODUCE_VERSION = 9;
export const FETCH_VERSION = 12;
const CREATE_TOPICS_VERSION = 5;
const LIST_OFFSETS_VERSION = 6;
const TOPIC_ALREADY_EXISTS = 36;

export interface FetchWant {
  partition: number;
  offset: number;
  maxBytes: number;
}

/** A sessionless consumer fetch (session id 0, epoch -1), topics by name. */
export function fetchBody(topic: string, wants: FetchWant[], maxWaitMs: number, minBytes: number): RequestOf<1> {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 0x7fffffff,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        partitions: wants.map((w) => ({
          partition: w.partition,
          currentLeaderEpoch: -1,
          fetchOffset: BigInt(w.offset),
          lastFetchedEpoch: -1,
          logStartOffset: -1n,
          partitionMaxBytes: w.maxBytes,
        })),
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** The first partition-level error of a fetch response, or 0. */
export function fetchError(res: FetchResponse): number {
  if (res.errorCode !== 0) return res.errorCode;
  for (const t of res.responses) for (const p of t.partitions) if (p.errorCode !== 0) return p.errorCode;
  return 0;
}

export async function createTopic(conn: WireConnection, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await conn.request(19, CREATE_TOPICS_VERSION, {
    topics: [
      {
        name: topic,
        numPartitions: partitions,
        replicationFactor: 1,
        assignments: [],
        configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
      },
    ],
    timeoutMs: 60_000,
    validateOnly: false,
  });
  const t = res.topics[0];
  if (!t || (t.errorCode !== 0 && t.errorCode !== TOPIC_ALREADY_EXISTS)) {
    throw new Error(`creating ${topic} failed: error ${t?.errorCode} ${t?.errorMessage ?? ''}`);
  }
}

/** Waits until a fetch of every partition succeeds (leaders and logs in place). */
export async function waitTopicReady(conn: WireConnection, topic: string, partitions: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const wants = Array.from({ length: partitions }, (_, p) => ({ partition: p, offset: 0, maxBytes: 1 }));
  for (;;) {
    const res = await conn.request(1, FETCH_VERSION, fetchBody(topic, wants, 0, 0));
    const err = fetchError(res);
    if (err === 0) return;
    if (Date.now() > deadline) throw new Error(`topic ${topic} not ready after ${timeoutMs} ms (error ${err})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Latest offsets (high watermarks) of partitions 0..n-1. */
export async function endOffsets(conn: WireConnection, topic: string, partitions: number): Promise<number[]> {
  const res = await conn.request(2, LIST_OFFSETS_VERSION, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })),
      },
    ],
  });
  const out = new Array<number>(partitions).fill(-1);
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex}: error ${p.errorCode}`);
      out[p.partitionIndex] = Number(p.offset);
    }
  }
  return out;
}

/** Open a connection, run fn, close. */
export async function withConnection<T>(host: string, port: number, fn: (c: WireConnection) => Promise<T>): Promise<T> {
  const conn = await WireConnection.open(host, port);
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}
