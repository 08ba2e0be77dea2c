/**
 * Request pipelining on one connection over real TCP (server/request-pipeline.ts):
 * Produce requests overlap (each starts once the previous one's appends are
 * queued), responses still come back strictly in request order, offsets
 * follow request order, and a Fetch after a Produce sees that Produce's
 * records (read-your-writes), even when the Produce's write is slow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { buildBatchSync, decodeBatchSync } from '../../src/protocol/records.js';
import { batchPositions } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;

beforeAll(async () => {
  krill = await startKrill({ config: { 'num.partitions': 2, 'auto.create.topics.enable': true } });
});

afterAll(async () => {
  await krill?.stop();
});

async function createTopic(c: RawClient, name: string): Promise<void> {
  const res = await c.request(19, 5, { topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(res.topics[0].errorCode).toBe(0);
  for (let i = 0; i < 50; i++) {
    const md = await c.request(3, 12, { topics: [{ name }], allowAutoTopicCreation: false });
    if (md.topics[0].errorCode === 0 && md.topics[0].partitions.every((p) => p.leaderId >= 0)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`topic ${name} has no leaders`);
}

function produce(c: RawClient, topic: string, partition: number, value: string, acks = 1) {
  const records = buildBatchSync({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });
  return c.request(0, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
}

function fetch(c: RawClient, topic: string, partition: number, offset: bigint, maxWaitMs = 0, minBytes = 0) {
  return c.request(1, 12, {
    replicaId: -1,
    maxWaitMs,
    minBytes,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
}

function values(records: Buffer | null): string[] {
  if (!records) return [];
  const out: string[] = [];
  for (const [pos, size] of batchPositions(records)) {
    for (const r of decodeBatchSync(records.subarray(pos, pos + size)).records) out.push(r.value?.toString() ?? '');
  }
  return out;
}

/** Delays the completion (not the offset assignment) of appends to one partition. */
function slowAppends(topic: string, partition: number, delayMs: number): () => void {
  const log = krill.node.replicas.partition(topic, partition)!.log;
  const original = log.append;
  log.append = function (this: typeof log, ...args: Parameters<typeof log.append>) {
    const written = original.apply(this, args);
    return new Promise((resolve, reject) => setTimeout(() => written.then(resolve, reject), delayMs));
  };
  return () => {
    log.append = original;
  };
}

describe('pipelined requests on one connection', () => {
  it('answers many in-flight produces in request order with offsets in request order', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    await createTopic(c, 'pipe-order');
    const sent = Array.from({ length: 300 }, (_, i) => produce(c, 'pipe-order', i % 2, `m${i}`));
    const res = await Promise.all(sent); // RawClient checks each correlation id against request order
    const next = [0n, 0n];
    res.forEach((r, i) => {
      const p = r.responses[0].partitionResponses[0];
      expect(p.errorCode).toBe(0);
      expect(p.index).toBe(i % 2);
      expect(p.baseOffset).toBe(next[i % 2]++);
    });
    const f = await fetch(c, 'pipe-order', 0, 0n);
    expect(values(f.responses[0].partitions[0].records)).toEqual(Array.from({ length: 150 }, (_, i) => `m${i * 2}`));
    c.close();
  });

  it('a fetch sent right behind a produce reads that produce (read-your-writes)', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    await createTopic(c, 'pipe-ryw');
    for (let i = 0; i < 20; i++) {
      const [p, f] = await Promise.all([produce(c, 'pipe-ryw', 0, `v${i}`), fetch(c, 'pipe-ryw', 0, BigInt(i))]);
      expect(p.responses[0].partitionResponses[0].baseOffset).toBe(BigInt(i));
      const part = f.responses[0].partitions[0];
      expect(part.errorCode).toBe(0);
      expect(part.highWatermark).toBe(BigInt(i + 1));
      expect(values(part.records)).toEqual([`v${i}`]);
    }
    c.close();
  });

  it('fast produces behind a slow one start before it finishes; responses stay in order; a following fetch waits', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    await createTopic(c, 'pipe-slow');
    const restore = slowAppends('pipe-slow', 0, 2000);
    try {
      const order: string[] = [];
      const track = <T>(name: string, p: Promise<T>): Promise<T> => p.then((v) => (order.push(name), v));
      const slow = track('slow', produce(c, 'pipe-slow', 0, 'slow'));
      const fast = [1, 2, 3].map((i) => track(`fast${i}`, produce(c, 'pipe-slow', 1, `fast${i}`)));
      const read = track('fetch', fetch(c, 'pipe-slow', 0, 0n));
      // The fast appends are written while the slow one is still pending.
      const p0 = krill.node.replicas.partition('pipe-slow', 0)!;
      const p1 = krill.node.replicas.partition('pipe-slow', 1)!;
      for (let i = 0; i < 150 && p1.highWatermark < 3; i++) await new Promise((r) => setTimeout(r, 10));
      expect(p1.highWatermark).toBe(3);
      expect(p0.highWatermark).toBe(0); // the slow append is still being written
      expect(order).toEqual([]);
      const [s, f1, f2, f3] = await Promise.all([slow, ...fast]);
      const r = await read;
      expect(order).toEqual(['slow', 'fast1', 'fast2', 'fast3', 'fetch']);
      expect(s.responses[0].partitionResponses[0].baseOffset).toBe(0n);
      expect([f1, f2, f3].map((x) => x.responses[0].partitionResponses[0].baseOffset)).toEqual([0n, 1n, 2n]);
      expect(values(r.responses[0].partitions[0].records)).toEqual(['slow']);
    } finally {
      restore();
      c.close();
    }
  });

  it('requests behind a long-polling fetch wait for it and are answered in order', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    await createTopic(c, 'pipe-poll');
    const started = Date.now();
    const order: string[] = [];
    const poll = fetch(c, 'pipe-poll', 0, 0n, 400, 1).then((r) => (order.push('fetch'), r));
    const versions = c.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' }).then((r) => (order.push('versions'), r));
    const prod = produce(c, 'pipe-poll', 1, 'x').then((r) => (order.push('produce'), r));
    const [f, v, p] = await Promise.all([poll, versions, prod]);
    expect(order).toEqual(['fetch', 'versions', 'produce']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(values(f.responses[0].partitions[0].records)).toEqual([]);
    expect(v.errorCode).toBe(0);
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(0);
    c.close();
  });

  it('acks=0 produces pipeline too and a later request still sees them', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    await createTopic(c, 'pipe-acks0');
    for (let i = 0; i < 50; i++) {
      const records = buildBatchSync({ records: [{ key: null, value: Buffer.from(`z${i}`) }] });
      c.send(0, 9, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'pipe-acks0', partitionData: [{ index: 0, records }] }] });
    }
    const f = await fetch(c, 'pipe-acks0', 0, 0n);
    expect(values(f.responses[0].partitions[0].records)).toEqual(Array.from({ length: 50 }, (_, i) => `z${i}`));
    c.close();
  });
});
