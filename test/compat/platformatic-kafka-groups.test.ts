/**
 * Client matrix, group and idempotence parts: @platformatic/kafka 1.35.0.
 * - Consume in a group from earliest (the none/gzip/snappy/lz4 topics; no
 *   zstd on Node 20), check every record, commit each message; a reopened
 *   consumer in the same group in "committed" mode gets nothing again, then
 *   exactly the one record produced after.
 * - The idempotent producer: records stored once with a producer id.
 * These use the group and InitProducerId APIs; against a broker without
 * them the tests fail (they do not skip).
 */
import { Consumer, Producer, type CompressionAlgorithmValue, type Message } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODECS, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, waitFor, type Codec, type MatrixBroker, type MatrixRecord } from './helpers/matrix.js';
import { NODE_HAS_ZSTD, platformaticMessages } from './helpers/platformatic.js';

const CLIENT_ID = 'compat-platformatic';

describe('@platformatic/kafka 1.35.0: groups and idempotence', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
  });

  afterAll(async () => {
    if (broker) logVersions('@platformatic/kafka (groups)', broker);
    await broker?.stop();
  });

  async function produce(topic: string, records: readonly MatrixRecord[], codec: Codec, idempotent = false): Promise<void> {
    const producer = new Producer({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], autocreateTopics: false, idempotent });
    try {
      await producer.send({ messages: platformaticMessages(topic, records), compression: codec as CompressionAlgorithmValue, acks: -1 });
    } finally {
      await producer.close();
    }
  }

  const toRecord = (m: Message): MatrixRecord & { topic: string; offset: bigint } => ({
    topic: m.topic,
    offset: m.offset,
    key: m.key === undefined || m.key === null ? null : m.key.toString(),
    value: m.value === undefined || m.value === null ? '<null>' : m.value.toString(),
    headers: [...m.headers].map(([k, v]) => [k.toString(), v === undefined || v === null ? '<null>' : v.toString()]),
  });

  it('consumes from earliest in a group, commits, and a reopened consumer gets no redelivery', async () => {
    const codecs = CODECS.filter((c) => c !== 'zstd' || NODE_HAS_ZSTD);
    const topics = codecs.map((c) => `platformatic-group-${c}`);
    const sent = new Map<string, MatrixRecord[]>();
    for (const [i, codec] of codecs.entries()) {
      await createTopic(broker, topics[i]!);
      sent.set(topics[i]!, matrixRecords(topics[i]!));
      await produce(topics[i]!, sent.get(topics[i]!)!, codec);
    }
    const total = [...sent.values()].reduce((n, rs) => n + rs.length, 0);
    const groupId = 'platformatic-matrix-group';

    const first = new Consumer({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxBytesPerPartition: 4 * 1024 * 1024 });
    const got: Array<ReturnType<typeof toRecord>> = [];
    try {
      const stream = await first.consume({ topics, mode: 'earliest', autocommit: false, maxWaitTime: 200 });
      for await (const message of stream) {
        got.push(toRecord(message));
        await message.commit();
        if (got.length >= total) break;
      }
      await stream.close();
    } finally {
      await first.close();
    }
    for (const topic of topics) expectSameRecords(got.filter((r) => r.topic === topic), sent.get(topic)!, `records @platformatic/kafka consumed from ${topic}`);

    const second = new Consumer({ clientId: CLIENT_ID, bootstrapBrokers: [broker.bootstrap], groupId, sessionTimeout: 10_000, heartbeatInterval: 500, maxBytesPerPartition: 4 * 1024 * 1024 });
    const again: Array<ReturnType<typeof toRecord>> = [];
    try {
      const stream = await second.consume({ topics, mode: 'committed', autocommit: false, maxWaitTime: 200 });
      stream.on('data', (m: Message) => again.push(toRecord(m)));
      await new Promise((r) => setTimeout(r, 2000));
      expect(again.length, 'records redelivered to the reopened consumer').toBe(0);
      await produce(topics[0]!, [{ key: 'after', value: 'reopen', headers: [] }], 'none');
      expect(await waitFor(() => again.length >= 1, 15_000), 'the record produced after reopening arrives').toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(again.map((r) => `${r.topic}@${r.offset}:${r.key}`)).toEqual([`${topics[0]}@${sent.get(topics[0]!)!.length}:after`]);
      await stream.close();
    } finally {
      await second.close();
    }
  });

  it('idempotent producer: every record stored once, batches carry a producer id', async () => {
    const topic = 'platformatic-idempotent';
    await createTopic(broker, topic);
    const records = matrixRecords(topic);
    await produce(topic, records, 'gzip', true);
    const stored = await expectStored(broker, topic, records, 'gzip');
    expect([...stored.producerIds].every((id) => id >= 0n), 'producer ids of the stored batches').toBe(true);
  });
});
