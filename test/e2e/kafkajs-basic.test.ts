/**
 * The foundation's acceptance test: a stock kafkajs 2.2.4 client against a
 * real Krill node over TCP. Admin create/describe/delete; 100k messages with
 * keys and headers over four codecs into six partitions; all consumed back
 * from the beginning with keys, values, headers, offsets and per-partition
 * order intact; the same after a broker restart on the same data dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka, Message } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient, CompressionTypes } from '../helpers/kafkajs.js';

const TOPIC = 'orders';
const PARTITIONS = 6;
const TOTAL = 100_000;
const CODECS = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4];

interface Seen {
  key: string;
  value: string;
  header: string;
  offset: number;
}

let dataDir: string;
let krill: RunningKrill;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'krill-e2e-'));
  krill = await startKrill({ dataDir });
});

afterAll(async () => {
  await krill?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function consumeAll(kafka: Kafka, topic: string, expected: number, groupId: string): Promise<Map<number, Seen[]>> {
  const consumer = kafka.consumer({ groupId, maxBytesPerPartition: 1 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const byPartition = new Map<number, Seen[]>();
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${count} of ${expected} messages before timing out`)), 120_000);
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          const list = byPartition.get(batch.partition) ?? [];
          byPartition.set(batch.partition, list);
          for (const m of batch.messages) {
            list.push({
              key: m.key!.toString(),
              value: m.value!.toString(),
              header: m.headers!.h!.toString(),
              offset: Number(m.offset),
            });
          }
          count += batch.messages.length;
          if (count >= expected) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return byPartition;
}

function checkAll(byPartition: Map<number, Seen[]>): void {
  let total = 0;
  const keys = new Set<string>();
  for (const [partition, list] of byPartition) {
    list.forEach((m, i) => {
      expect(m.offset, `partition ${partition} offsets are dense from 0`).toBe(i);
      expect(m.value).toBe(`value-${m.key}`);
      expect(m.header).toBe(`h-${m.key}`);
      keys.add(m.key);
    });
    // Per-partition order: sequence numbers of one key stream increase.
    const seqs = list.map((m) => Number(m.key.split('-')[1]));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i], `order in partition ${partition}`).toBeGreaterThan(seqs[i - 1]);
    total += list.length;
  }
  expect(total).toBe(TOTAL);
  expect(keys.size).toBe(TOTAL);
}

describe('kafkajs against a Krill node', () => {
  it('creates, describes and deletes topics with the admin client', async () => {
    const admin = kafkaClient(krill.bootstrap).admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'admin-a', numPartitions: 3 }] })).toBe(false);
    const md = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(md.topics[0].name).toBe('admin-a');
    expect(md.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);
    expect(md.topics[0].partitions.every((p) => p.leader === krill.node.nodeId)).toBe(true);
    expect(await admin.listTopics()).toContain('admin-a');
    await admin.createPartitions({ topicPartitions: [{ topic: 'admin-a', count: 5 }] });
    const md2 = await admin.fetchTopicMetadata({ topics: ['admin-a'] });
    expect(md2.topics[0].partitions).toHaveLength(5);
    const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: 'admin-a' }], includeSynonyms: false });
    const retention = cfg.resources[0].configEntries.find((e) => e.configName === 'retention.ms');
    expect(retention?.configValue).toBe('604800000');
    await admin.deleteTopics({ topics: ['admin-a'] });
    expect(await admin.listTopics()).not.toContain('admin-a');
    await admin.disconnect();
  });

  it('produces 100k messages over four codecs and consumes them all back, also after a restart', async () => {
    let kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const perBatch = 1000;
    let seq = 0;
    for (let b = 0; b < TOTAL / perBatch; b++) {
      const messages: Message[] = [];
      for (let i = 0; i < perBatch; i++, seq++) {
        const key = `k-${String(seq).padStart(6, '0')}`;
        messages.push({ key, value: `value-${key}`, headers: { h: `h-${key}` }, partition: seq % PARTITIONS });
      }
      await producer.send({ topic: TOPIC, messages, compression: CODECS[b % CODECS.length], acks: b % 2 === 0 ? -1 : 1 });
    }
    await producer.disconnect();

    checkAll(await consumeAll(kafka, TOPIC, TOTAL, 'g1'));

    await krill.stop();
    krill = await startKrill({ dataDir });
    kafka = kafkaClient(krill.bootstrap);
    checkAll(await consumeAll(kafka, TOPIC, TOTAL, 'g2'));
  }, 240_000);
});
