/** Helpers of the replication tests (e2e and slow): raw produce/consume and replica log dumps. */
import type { RunningCluster } from '../../src/index.js';
import type { KrillNode } from '../../src/node.js';
import { buildBatchSync, decodeBatchSync } from '../../src/protocol/records.js';
import { batchPositions } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';

export interface Produced {
  errorCode: number;
  baseOffset: number;
  leaderId: number;
  endpoints: number[];
}

/** One Produce (v10) of a batch of string values. */
export async function produce(c: RawClient, topic: string, partition: number, values: string[], acks: number, timeoutMs = 10_000): Promise<Produced> {
  const records = buildBatchSync({ records: values.map((v) => ({ key: null, value: Buffer.from(v) })) });
  const r = await c.request(0, 10, { transactionalId: null, acks, timeoutMs, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, { timeoutMs: timeoutMs + 10_000 });
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset), leaderId: p.currentLeader.leaderId, endpoints: r.nodeEndpoints.map((e) => e.nodeId) };
}

/** A consumer's Fetch (v12) from offset: the values below the high watermark, and the high watermark. */
export async function consume(c: RawClient, topic: string, partition: number, offset = 0): Promise<{ errorCode: number; values: Array<[number, string]>; highWatermark: number }> {
  const r = await c.request(1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 10 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: BigInt(offset), lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 10 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const p = r.responses[0]!.partitions[0]!;
  return { errorCode: p.errorCode, values: p.records ? values(p.records).filter(([o]) => o >= offset) : [], highWatermark: Number(p.highWatermark) };
}

/** (offset, value) of every record in a run of batches. */
export function values(buf: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  for (const [pos, size] of batchPositions(buf)) {
    const b = decodeBatchSync(buf.subarray(pos, pos + size));
    for (const r of b.records) out.push([r.offset, r.value?.toString() ?? '']);
  }
  return out;
}

/** Every record of a replica's local log (leader or follower), read straight from the log. */
export async function replicaLog(node: KrillNode, topic: string, partition: number): Promise<Array<[number, string]>> {
  const p = node.replicas.partition(topic, partition);
  if (!p) return [];
  const out: Array<[number, string]> = [];
  let offset = p.log.logStartOffset;
  while (offset < p.log.logEndOffset) {
    const { records } = await p.log.read(offset, 1 << 20, { minOneBatch: true });
    if (records.length === 0) break;
    const vs = values(records);
    out.push(...vs.filter(([o]) => o >= offset));
    offset = (vs.at(-1)?.[0] ?? offset) + 1;
  }
  return out;
}

export async function createTopic(c: RawClient, name: string, partitions: number, rf: number, configs: Record<string, string> = {}): Promise<number> {
  const r = await c.request(19, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: rf, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 10_000,
  });
  return r.topics[0]!.errorCode;
}

/** Polls cond every 20 ms until it holds; fails with `what` after timeoutMs. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function leaderOf(c: RunningCluster, topic: string, partition = 0): number {
  const n = [...c.nodes.values()][0];
  return n?.image().partition(topic, partition)?.leader ?? -1;
}

/** Clients to every running node, closed by closeAll. */
export class Clients {
  readonly #all: RawClient[] = [];
  async to(node: KrillNode): Promise<RawClient> {
    const c = await RawClient.connect(node.bootstrap, { clientId: 'replication-test' });
    this.#all.push(c);
    return c;
  }
  closeAll(): void {
    for (const c of this.#all.splice(0)) c.close();
  }
}
