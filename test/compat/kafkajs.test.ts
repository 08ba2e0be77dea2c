/**
 * Client matrix: kafkajs 2.2.4 (pure JS, non-flexible versions only), with
 * kafkajs-snappy, @2l/kafkajs-lz4 and a zstd-napi codec registered as users
 * do. Admin create / describe / delete; produce with every codec, checked
 * against what Krill stored (records and batch codec). kafkajs consumes only
 * inside a consumer group, so its consume-from-earliest, commit and reopen
 * checks are in kafkajs-groups.test.ts.
 */
import { ConfigResourceTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient } from '../helpers/kafkajs.js';
import { KAFKAJS_CODEC, kafkajsMessages } from './helpers/kafkajs-matrix.js';
import { CODECS, MAX_MESSAGE_BYTES, createTopic, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker } from './helpers/matrix.js';

describe('kafkajs 2.2.4', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
  });

  afterAll(async () => {
    if (broker) logVersions('kafkajs', broker);
    await broker?.stop();
  });

  it('admin: creates a topic with a config, describes it, deletes it', async () => {
    const admin = kafkaClient(broker.bootstrap, 'compat-kafkajs').admin();
    await admin.connect();
    try {
      const topic = 'kafkajs-admin';
      const created = await admin.createTopics({
        topics: [{ topic, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] }],
        waitForLeaders: true,
      });
      expect(created).toBe(true);
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(md.topics[0]?.partitions.length).toBe(2);
      const cfg = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }], includeSynonyms: false });
      expect(cfg.resources[0]?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue).toBe(String(MAX_MESSAGE_BYTES));
      await admin.deleteTopics({ topics: [topic] });
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.disconnect();
    }
  });

  for (const codec of CODECS) {
    it(`produces with ${codec} (null key, empty value, headers, 1 MB); Krill stores every record`, async () => {
      const topic = `kafkajs-${codec}`;
      await createTopic(broker, topic);
      const records = matrixRecords(topic);
      const producer = kafkaClient(broker.bootstrap, 'compat-kafkajs').producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, compression: KAFKAJS_CODEC[codec], messages: kafkajsMessages(records) });
      } finally {
        await producer.disconnect();
      }
      await expectStored(broker, topic, records, codec);
    });
  }
});
