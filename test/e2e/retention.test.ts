/**
 * Retention end to end with kafkajs and the broker's own retention timer
 * (log.retention.check.interval.ms small): segments whose newest record is
 * older than retention.ms go, those with newer records stay; retention.bytes
 * trims the oldest segments to Kafka's bound; the log start offset moves
 * (ListOffsets earliest follows) and deleted files disappear after
 * file.delete.delay.ms.
 */
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';

let krill: RunningKrill;

beforeAll(async () => {
  krill = await startKrill({ config: { 'log.retention.check.interval.ms': 100, 'log.cleaner.backoff.ms': 100 } });
});

afterAll(async () => {
  await krill?.stop();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('retention', () => {
  it('deletes segments past retention.ms by their newest timestamp', async () => {
    const topic = 'expiring';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'retention.ms', value: '60000' },
            { name: 'segment.bytes', value: '2048' },
            { name: 'file.delete.delay.ms', value: '200' },
          ],
        },
      ],
    });
    const producer = kafka.producer();
    await producer.connect();
    const hourAgo = String(Date.now() - 3_600_000);
    for (let i = 0; i < 10; i++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, () => ({ value: 'o'.repeat(100), timestamp: hourAgo })) });
    }
    const [fresh] = await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, () => ({ value: 'n'.repeat(100) })) });
    for (let i = 0; i < 3; i++) await producer.send({ topic, acks: -1, messages: [{ value: 'n'.repeat(100) }] });
    const firstFresh = Number(fresh?.baseOffset);
    const log = krill.node.replicas.partition(topic, 0)!.log;
    // Segments holding only old records go; the one holding the first fresh record stays.
    const keep = Math.max(...log.segmentBaseOffsets().filter((b) => b <= firstFresh));
    expect(keep).toBeGreaterThan(0);
    await waitFor('retention.ms to delete the expired segments', () => log.logStartOffset === keep);
    expect(log.segmentBaseOffsets()[0]).toBe(keep);
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(offsets).toMatchObject({ low: String(keep), high: String(firstFresh + 8) });
    await waitFor('.deleted files to be removed', () => readdirSync(log.dir).every((f) => !f.endsWith('.deleted')));
    await producer.disconnect();
    await admin.disconnect();
  });

  it('keeps a partition near retention.bytes by deleting its oldest segments', async () => {
    const topic = 'bounded';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'retention.bytes', value: '5000' }, { name: 'segment.bytes', value: '2048' }] }],
    });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 40; i++) await producer.send({ topic, acks: -1, messages: [{ value: `m${i}`.padEnd(400, '.') }] });
    const log = krill.node.replicas.partition(topic, 0)!.log;
    // Kafka's bound once retention ran: the log minus its oldest segment is below retention.bytes.
    const trimmed = () => {
      const segs = log.segmentList();
      return log.logStartOffset > 0 && log.size - (segs[0]?.size ?? 0) < 5000;
    };
    await waitFor('retention.bytes to trim the log', trimmed);
    expect(log.size).toBeGreaterThanOrEqual(5000 - 2048);
    const consumer = kafka.consumer({ groupId: 'bounded-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const start = log.logStartOffset;
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(Number(message.offset));
            if (seen.at(-1) === 39) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen[0]).toBeGreaterThanOrEqual(start);
    expect(seen).toEqual(Array.from({ length: 40 - (seen[0] as number) }, (_, i) => (seen[0] as number) + i));
    await producer.disconnect();
    await admin.disconnect();
  });
});
