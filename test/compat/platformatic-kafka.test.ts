/**
 * Client matrix: @platformatic/kafka 1.35.0 (pure TS, newest flexible
 * protocol versions: Fetch v17 by topic id, Produce v11). Admin create /
 * describe / delete; produce with none, gzip, snappy and lz4 (WebAssembly);
 * zstd needs node:zlib's zstd (Node >= 22.15), so it runs only there and is
 * skipped on Node 20. Consume from earliest without a group through the
 * client's own Fetch (Consumer.fetch), checking every record; the group and
 * idempotent parts are in platformatic-kafka-groups.test.ts.
 */
import { Admin, ConfigResourceTypes, Consumer, Producer, type CompressionAlgorithmValue } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODECS, MAX_MESSAGE_BYTES, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker, type MatrixRecord } from './helpers/matrix.js';
import { NODE_HAS_ZSTD, platformaticMessages } from './helpers/platformatic.js';

const CLIENT_ID = 'compat-platformatic';

/** Reads partition 0 from offset 0 to the high watermark with the client's own Fetch (no group). */
async function fetchAll(broker: MatrixBroker, topic: string): Promise<Array<MatrixRecord & { offset: number }>> {
  const consumer = new Consumer({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], groupId: `${topic}-unused` });
  try {
    const md = await consumer.metadata({ topics: [topic] });
    const t = md.topics.get(topic)!;
    const out: Array<MatrixRecord & { offset: number }> = [];
    let offset = 0n;
    for (;;) {
      const res = await consumer.fetch({
        node: t.partitions[0]!.leader,
        maxWaitTime: 0,
        topics: [{ topicId: t.id, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 4 * 1024 * 1024, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode).toBe(0);
      const before = offset;
      for (const batch of p.records ?? []) {
        for (const r of batch.records) {
          const at = batch.firstOffset + BigInt(r.offsetDelta);
          if (at < offset) continue;
          out.push({
            offset: Number(at),
            key: r.key === null ? null : r.key.toString(),
            value: r.value === null ? '<null>' : r.value.toString(),
            headers: r.headers.map(([k, v]) => [k?.toString() ?? '<null>', v?.toString() ?? '<null>']),
          });
          offset = at + 1n;
        }
      }
      if (offset === before || offset >= p.highWatermark) return out;
    }
  } finally {
    await consumer.close();
  }
}

describe('@platformatic/kafka 1.35.0', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
  });

  afterAll(async () => {
    if (broker) logVersions('@platformatic/kafka', broker);
    await broker?.stop();
  });

  it('admin: creates a topic with a config, describes it, deletes it', async () => {
    const admin = new Admin({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap] });
    try {
      const topic = 'platformatic-admin';
      const created = await admin.createTopics({ topics: [topic], partitions: 2, replicas: 1, configs: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] });
      expect(created[0]).toMatchObject({ name: topic, partitions: 2 });
      const md = await admin.metadata({ topics: [topic] });
      expect(md.topics.get(topic)?.partitionsCount).toBe(2);
      const cfg = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['max.message.bytes'] }] });
      expect(cfg[0]?.configs.find((c) => c.name === 'max.message.bytes')?.value).toBe(String(MAX_MESSAGE_BYTES));
      await admin.deleteTopics({ topics: [topic] });
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.close();
    }
  });

  for (const codec of CODECS) {
    const runs = codec !== 'zstd' || NODE_HAS_ZSTD;
    const title = `produces with ${codec} (null key, empty value, headers, 1 MB) and fetches every record from earliest`;
    it.runIf(runs)(runs ? title : `${title} (skipped: zstd needs node:zlib zstd, Node >= 22.15)`, async () => {
      const topic = `platformatic-${codec}`;
      await createTopic(broker, topic);
      const records = matrixRecords(topic);
      const producer = new Producer({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], autocreateTopics: false });
      try {
        await producer.send({ messages: platformaticMessages(topic, records), compression: codec as CompressionAlgorithmValue, acks: -1 });
      } finally {
        await producer.close();
      }
      await expectStored(broker, topic, records, codec);
      const got = await fetchAll(broker, topic);
      expect(got.map((r) => r.offset)).toEqual(records.map((_, i) => i));
      expectSameRecords(got, records, 'records @platformatic/kafka fetched');
    });
  }
});
