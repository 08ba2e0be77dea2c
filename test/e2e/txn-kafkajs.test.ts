/**
 * kafkajs transactions against Krill (issue 5): commit and abort, as a
 * read_committed consumer (kafkajs' default) and a read_uncommitted one
 * see them; sendOffsets moving the group's offsets only on commit; a
 * second producer with the same transactional id fencing the first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { readTopic } from '../helpers/read-topic.js';

let krill: RunningKrill;
let kafka: Kafka;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 },
  });
  kafka = kafkaClient(krill.bootstrap, 'txn-kafkajs');
});

afterAll(async () => {
  await krill?.stop();
});

describe('kafkajs transactions', () => {
  it('read_committed sees committed records only, read_uncommitted sees aborted ones too', async () => {
    const producer = kafka.producer({ transactionalId: 'vis', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let round = 0; round < 4; round++) {
      const txn = await producer.transaction();
      await txn.send({ topic: 'txn-vis', messages: [0, 1, 2].map((i) => ({ key: `k${i}`, value: `r${round}-${i}` })) });
      if (round % 2 === 0) await txn.commit();
      else await txn.abort();
    }
    await producer.disconnect();
    const committed = await readTopic(kafka, 'txn-vis', { count: 6 });
    expect(committed.sort()).toEqual(['r0-0', 'r0-1', 'r0-2', 'r2-0', 'r2-1', 'r2-2']);
    const all = await readTopic(kafka, 'txn-vis', { count: 12, readUncommitted: true });
    expect(all).toHaveLength(12);
  });

  it('an open transaction holds read_committed consumers back until it commits', async () => {
    const producer = kafka.producer({ transactionalId: 'lso', idempotent: true, maxInFlightRequests: 1 });
    const plain = kafka.producer();
    await Promise.all([producer.connect(), plain.connect()]);
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-lso', messages: [{ key: 'a', value: 'in-txn', partition: 0 }] });
    await plain.send({ topic: 'txn-lso', messages: [{ key: 'b', value: 'after', partition: 0 }] });
    expect(await readTopic(kafka, 'txn-lso', { count: 1, timeoutMs: 1500, settleMs: 0 })).toEqual([]);
    await txn.commit();
    expect(await readTopic(kafka, 'txn-lso', { count: 2 })).toEqual(['in-txn', 'after']);
    await Promise.all([producer.disconnect(), plain.disconnect()]);
  });

  it('sendOffsets moves the group\'s committed offsets only when the transaction commits', async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'txn-src', numPartitions: 1 }] });
    const producer = kafka.producer({ transactionalId: 'offsets', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const groupOffset = async (): Promise<string> => (await admin.fetchOffsets({ groupId: 'txn-offsets-group', topics: ['txn-src'] }))[0].partitions[0].offset;

    let txn = await producer.transaction();
    await txn.send({ topic: 'txn-sink', messages: [{ value: 'x' }] });
    await txn.sendOffsets({ consumerGroupId: 'txn-offsets-group', topics: [{ topic: 'txn-src', partitions: [{ partition: 0, offset: '5' }] }] });
    expect(await groupOffset()).toBe('-1');
    await txn.abort();
    expect(await groupOffset()).toBe('-1');

    txn = await producer.transaction();
    await txn.sendOffsets({ consumerGroupId: 'txn-offsets-group', topics: [{ topic: 'txn-src', partitions: [{ partition: 0, offset: '7' }] }] });
    await txn.commit();
    let offset = await groupOffset();
    for (let i = 0; i < 50 && offset !== '7'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      offset = await groupOffset();
    }
    expect(offset).toBe('7');
    await producer.disconnect();
    await admin.disconnect();
  });

  it('a transaction open past its timeout is aborted and its producer fenced', async () => {
    const producer = kafka.producer({ transactionalId: 'slow', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 500 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'txn-timeout', messages: [{ key: 'k', value: 'too-late' }] });
    await new Promise((r) => setTimeout(r, 1200));
    await expect(txn.commit()).rejects.toThrow(/epoch|fenced/i);
    await producer.disconnect();
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'txn-timeout', messages: [{ key: 'k', value: 'plain' }] });
    await plain.disconnect();
    expect(await readTopic(kafka, 'txn-timeout', { count: 1 })).toEqual(['plain']);
    expect((await readTopic(kafka, 'txn-timeout', { count: 2, readUncommitted: true })).sort()).toEqual(['plain', 'too-late']);
  });

  it('a second producer with the same transactional id fences the first (zombie)', async () => {
    const zombie = kafka.producer({ transactionalId: 'fenced', idempotent: true, maxInFlightRequests: 1 });
    await zombie.connect();
    const zt = await zombie.transaction();
    await zt.send({ topic: 'txn-fence', messages: [{ key: 'z', value: 'zombie-1' }] });

    const fresh = kafka.producer({ transactionalId: 'fenced', idempotent: true, maxInFlightRequests: 1 });
    await fresh.connect();
    const ft = await fresh.transaction(); // InitProducerId: aborts the zombie's transaction, bumps the epoch
    await expect(zt.send({ topic: 'txn-fence', messages: [{ key: 'z', value: 'zombie-2' }] })).rejects.toThrow();
    await expect(zt.commit()).rejects.toThrow(/epoch|fenced/i);

    await ft.send({ topic: 'txn-fence', messages: [{ key: 'f', value: 'fresh' }] });
    await ft.commit();
    expect(await readTopic(kafka, 'txn-fence', { count: 1 })).toEqual(['fresh']);
    await Promise.all([zombie.disconnect(), fresh.disconnect()]);
  });
});
