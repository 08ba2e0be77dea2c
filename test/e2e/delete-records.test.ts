/**
 * DeleteRecords end to end: kafkajs admin.deleteTopicRecords moves the log
 * start offset (ListOffsets earliest follows, a consumer from the beginning
 * starts there, whole segments below it go); over the wire, offset -1 means
 * the high watermark, an offset above it is OFFSET_OUT_OF_RANGE, a fetch
 * below the start is OFFSET_OUT_OF_RANGE, a compacted topic is
 * POLICY_VIOLATION, an unknown partition UNKNOWN_TOPIC_OR_PARTITION.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;

beforeAll(async () => {
  krill = await startKrill({ config: { 'group.initial.rebalance.delay.ms': 0 } });
});

afterAll(async () => {
  await krill?.stop();
});

async function deleteRecords(c: RawClient, topic: string, partitionIndex: number, offset: bigint) {
  const res = await c.request(21, 2, { topics: [{ name: topic, partitions: [{ partitionIndex, offset }] }], timeoutMs: 5000 });
  return res.topics[0]!.partitions[0]!;
}

async function fetchAt(c: RawClient, topic: string, offset: bigint) {
  const res = await c.request(1, 12, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  return res.responses[0]!.partitions[0]!;
}

describe('DeleteRecords', () => {
  it('moves the log start offset for kafkajs, ListOffsets and consumers', async () => {
    const topic = 'trimmed';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '2048' }] }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `k${i}`, value: `message ${i * 10 + j} ${'z'.repeat(30)}` })) });
    }
    await producer.disconnect();
    const log = krill.node.replicas.partition(topic, 0)!.log;
    const segmentsBefore = log.segmentBaseOffsets().length;
    expect(segmentsBefore).toBeGreaterThan(3);

    // kafkajs looks the leader up in its cached metadata before refreshing it: load the topic's first.
    await admin.fetchTopicOffsets(topic);
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '123' }] });
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(offsets).toMatchObject({ partition: 0, low: '123', high: '200' });
    expect(log.logStartOffset).toBe(123);
    expect(log.segmentBaseOffsets().length).toBeLessThan(segmentsBefore);
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(123);

    const consumer = kafka.consumer({ groupId: 'after-delete' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: number[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(Number(message.offset));
            if (seen.length >= 77) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toEqual(Array.from({ length: 77 }, (_, i) => 123 + i));
    await admin.disconnect();
  });

  it('answers with Kafka error codes over the wire', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    try {
      const admin = kafkaClient(krill.bootstrap).admin();
      await admin.connect();
      await admin.createTopics({
        topics: [
          { topic: 'raw-trim', numPartitions: 1 },
          { topic: 'raw-compacted', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
        ],
      });
      const producer = kafkaClient(krill.bootstrap).producer();
      await producer.connect();
      await producer.send({ topic: 'raw-trim', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ value: `m${i}` })) });
      await producer.send({ topic: 'raw-compacted', acks: -1, messages: [{ key: 'a', value: '1' }] });
      await producer.disconnect();
      await admin.disconnect();

      expect(await deleteRecords(c, 'raw-trim', 0, 31n)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n });
      expect(await deleteRecords(c, 'raw-trim', 0, -2n)).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE });
      expect(await deleteRecords(c, 'raw-trim', 0, 10n)).toMatchObject({ errorCode: 0, lowWatermark: 10n });
      // At or below the current start: nothing changes.
      expect(await deleteRecords(c, 'raw-trim', 0, 4n)).toMatchObject({ errorCode: 0, lowWatermark: 10n });
      expect((await fetchAt(c, 'raw-trim', 9n)).errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
      expect(await fetchAt(c, 'raw-trim', 10n)).toMatchObject({ errorCode: 0, logStartOffset: 10n, highWatermark: 30n });
      const earliest = await c.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'raw-trim', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] });
      expect(earliest.topics[0]!.partitions[0]!.offset).toBe(10n);
      // -1: up to the high watermark.
      expect(await deleteRecords(c, 'raw-trim', 0, -1n)).toMatchObject({ errorCode: 0, lowWatermark: 30n });
      expect(await deleteRecords(c, 'raw-compacted', 0, 1n)).toMatchObject({ errorCode: ErrorCode.POLICY_VIOLATION });
      expect(await deleteRecords(c, 'raw-trim', 7, 1n)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      expect(await deleteRecords(c, 'no-such-topic', 0, 1n)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    } finally {
      c.close();
    }
  });
});
