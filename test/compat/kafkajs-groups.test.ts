/**
 * Client matrix, group and idempotence parts: kafkajs 2.2.4.
 * - Consume in a group from earliest: the records of every codec's topic,
 *   each checked (kafkajs consumes only in a group, so this is also its
 *   consume-from-earliest check); commit; a reopened consumer in the same
 *   group gets nothing again, then exactly the one record produced after.
 * - The idempotent producer: records stored once, batches carry a producer id.
 * These use the group and InitProducerId APIs; against a broker without
 * them the tests fail (they do not skip).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer } from 'kafkajs';
import { kafkaClient } from '../helpers/kafkajs.js';
import { KAFKAJS_CODEC, kafkajsMessages } from './helpers/kafkajs-matrix.js';
import { CODECS, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, waitFor, type MatrixBroker, type MatrixRecord } from './helpers/matrix.js';

describe('kafkajs 2.2.4: groups and idempotence', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
  });

  afterAll(async () => {
    if (broker) logVersions('kafkajs (groups)', broker);
    await broker?.stop();
  });

  async function produce(topic: string, records: readonly MatrixRecord[], codec: keyof typeof KAFKAJS_CODEC, idempotent = false): Promise<void> {
    const producer = kafkaClient(broker.bootstrap, 'compat-kafkajs').producer({ allowAutoTopicCreation: false, idempotent, maxInFlightRequests: idempotent ? 1 : undefined });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, compression: KAFKAJS_CODEC[codec], messages: kafkajsMessages(records) });
    } finally {
      await producer.disconnect();
    }
  }

  const groupConsumer = (groupId: string): Consumer =>
    kafkaClient(broker.bootstrap, 'compat-kafkajs').consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxBytesPerPartition: 4 * 1024 * 1024 });

  it('consumes every codec from earliest in a group, commits, and a reopened consumer gets no redelivery', async () => {
    const topics = CODECS.map((c) => `kafkajs-group-${c}`);
    const sent = new Map<string, MatrixRecord[]>();
    for (const [i, codec] of CODECS.entries()) {
      await createTopic(broker, topics[i]!);
      const records = matrixRecords(topics[i]!);
      sent.set(topics[i]!, records);
      await produce(topics[i]!, records, codec);
    }
    const total = [...sent.values()].reduce((n, rs) => n + rs.length, 0);
    const got = new Map<string, Array<MatrixRecord & { offset: string }>>();
    const groupId = 'kafkajs-matrix-group';

    const first = groupConsumer(groupId);
    await first.connect();
    await first.subscribe({ topics, fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const list = got.get(topic) ?? [];
        list.push({
          offset: message.offset,
          key: message.key === null ? null : message.key.toString(),
          value: message.value === null ? '<null>' : message.value.toString(),
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => [k, v === undefined ? '<null>' : String(v)]),
        });
        got.set(topic, list);
      },
    });
    const count = (): number => [...got.values()].reduce((n, rs) => n + rs.length, 0);
    expect(await waitFor(() => count() >= total, 30_000), `received ${count()} of ${total}`).toBe(true);
    for (const topic of topics) expectSameRecords(got.get(topic) ?? [], sent.get(topic)!, `records kafkajs consumed from ${topic}`);
    await first.commitOffsets(topics.map((topic) => ({ topic, partition: 0, offset: String(sent.get(topic)!.length) })));
    await first.disconnect();

    got.clear();
    const second = groupConsumer(groupId);
    let joined = false;
    second.on(second.events.GROUP_JOIN, () => {
      joined = true;
    });
    await second.connect();
    await second.subscribe({ topics, fromBeginning: true });
    await second.run({
      eachMessage: async ({ topic, message }) => {
        got.set(topic, [...(got.get(topic) ?? []), { offset: message.offset, key: message.key?.toString() ?? null, value: message.value?.toString() ?? '<null>', headers: [] }]);
      },
    });
    try {
      expect(await waitFor(() => joined, 15_000), 'the reopened consumer joined').toBe(true);
      await new Promise((r) => setTimeout(r, 2000));
      expect(count(), 'records redelivered to the reopened consumer').toBe(0);
      await produce(topics[0]!, [{ key: 'after', value: 'reopen', headers: [] }], 'none');
      expect(await waitFor(() => count() >= 1, 15_000), 'the record produced after reopening arrives').toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect([...got.entries()].map(([t, rs]) => [t, rs.map((r) => `${r.offset}:${r.key}`)])).toEqual([[topics[0], [`${sent.get(topics[0]!)!.length}:after`]]]);
    } finally {
      await second.disconnect();
    }
  });

  it('idempotent producer: every record stored once, batches carry a producer id', async () => {
    const topic = 'kafkajs-idempotent';
    await createTopic(broker, topic);
    const records = matrixRecords(topic);
    await produce(topic, records, 'gzip', true);
    const stored = await expectStored(broker, topic, records, 'gzip');
    expect([...stored.producerIds].every((id) => id >= 0n), 'producer ids of the stored batches').toBe(true);
  });
});
