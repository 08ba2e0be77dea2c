/**
 * kafkajs' idempotent producer under injected connection drops (issue 5): a
 * proxy closes the connection after the broker wrote a Produce response and
 * before the client read it, for every fourth Produce. The client retries
 * the same batch (same sequence) on a new connection; the broker answers
 * with the original offset instead of appending again. The partition ends
 * up with every record exactly once, in order: no duplicates, no gaps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { CutProxy, freePort } from '../helpers/cut-proxy.js';
import { readTopic } from '../helpers/read-topic.js';

const PRODUCE = 0;
const N = 120;
let krill: RunningKrill;
let proxy: CutProxy;
let produces = 0;

beforeAll(async () => {
  proxy = await CutProxy.start({ shouldCut: (apiKey) => apiKey === PRODUCE && ++produces % 4 === 0 });
  const port = await freePort();
  krill = await startKrill({ config: { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 1 } });
  proxy.setUpstream(port);
});

afterAll(async () => {
  await krill?.stop();
  await proxy?.close();
});

describe('idempotent producer with connection drops', () => {
  it('stores every record exactly once and in order', async () => {
    const kafka = new Kafka({ clientId: 'drops', brokers: [`127.0.0.1:${proxy.port}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 500 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'drops', numPartitions: 1 }] });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < N; i += 2) {
      await producer.send({ topic: 'drops', acks: -1, messages: [{ value: `v${i}` }, { value: `v${i + 1}` }] });
    }
    await producer.disconnect();
    expect(proxy.cuts).toBeGreaterThanOrEqual(N / 2 / 4 - 1);
    const values = await readTopic(kafka, 'drops', { count: N, readUncommitted: true });
    expect(values).toEqual(Array.from({ length: N }, (_, i) => `v${i}`));
  });
});
