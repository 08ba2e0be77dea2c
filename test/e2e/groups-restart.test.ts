/**
 * Committed offsets and group metadata live in __consumer_offsets and come
 * back after a broker restart: a kafkajs consumer commits part of a topic,
 * the broker stops and starts again on the same data dir, and a new
 * consumer of the same group resumes exactly where the commits left off,
 * with nothing delivered twice and nothing skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';

const TOPIC = 'resumable';
const GROUP = 'resumers';
const PARTITIONS = 4;
const PER_PARTITION = 100;
const CONFIG = { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 7 };

let dataDir: string;
let krill: RunningKrill;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'krill-groups-restart-'));
  krill = await startKrill({ dataDir, config: CONFIG });
});

afterAll(async () => {
  await krill?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Consumes with a group until `stop` says so; returns the delivered "partition:offset" keys. */
async function consumeUntil(kafka: Kafka, stop: (seen: string[]) => boolean): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 3000, heartbeatInterval: 300, maxWaitTimeInMs: 200, maxBytesPerPartition: 2000 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const seen: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push(`${partition}:${message.offset}`);
      if (stop(seen)) done();
    },
  });
  await finished;
  await consumer.disconnect(); // finishes the batch in hand, commits it, leaves
  return seen;
}

async function committed(kafka: Kafka): Promise<number[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [t] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
  await admin.disconnect();
  return t.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
}

describe('group offsets across a broker restart', () => {
  it('resume from the committed offsets without re-delivery', async () => {
    let kafka = kafkaClient(krill.bootstrap, 'restart-e2e');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ partition: p, value: `m${i}` })) });
    }
    await producer.disconnect();

    const first = await consumeUntil(kafka, (seen) => seen.length >= 150);
    expect(new Set(first).size).toBe(first.length);
    const before = await committed(kafka);
    // Every delivered message is committed, and nothing beyond it.
    for (let p = 0; p < PARTITIONS; p++) expect(before[p], `partition ${p}`).toBe(Math.max(-1, ...first.filter((k) => k.startsWith(`${p}:`)).map((k) => Number(k.split(':')[1]) + 1)));
    expect(first.length).toBeLessThan(PARTITIONS * PER_PARTITION);

    await krill.stop();
    krill = await startKrill({ dataDir, config: CONFIG });
    kafka = kafkaClient(krill.bootstrap, 'restart-e2e');
    expect(await committed(kafka)).toEqual(before);
    const admin2 = kafka.admin();
    await admin2.connect();
    const { groups } = await admin2.describeGroups([GROUP]);
    expect(groups[0]).toMatchObject({ groupId: GROUP, state: 'Empty', protocolType: 'consumer' });
    expect((await admin2.listGroups()).groups.map((g) => g.groupId)).toContain(GROUP);
    await admin2.disconnect();

    const rest = PARTITIONS * PER_PARTITION - first.length;
    const second = await consumeUntil(kafka, (seen) => seen.length >= rest);
    expect(second.filter((k) => first.includes(k)), 'nothing delivered twice').toEqual([]);
    expect(new Set([...first, ...second]).size).toBe(PARTITIONS * PER_PARTITION);
    expect(await committed(kafka)).toEqual(Array(PARTITIONS).fill(PER_PARTITION));
  }, 60_000);
});
