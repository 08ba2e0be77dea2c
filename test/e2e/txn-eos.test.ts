/**
 * Exactly-once consume-transform-produce with kafkajs (issue 5): a
 * processor reads an input topic in a consumer group, writes each batch's
 * transformed records and the batch's offsets (sendOffsets) in one
 * transaction. The first processor crashes with a transaction open, its
 * successor (same transactional id) fences it and later aborts a
 * transaction and stops, a third finishes the input. A read_committed
 * consumer of the output sees every input record exactly once; a
 * read_uncommitted one also sees the crashed and aborted attempts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { readTopic } from '../helpers/read-topic.js';

const IN = 'eos-in';
const OUT = 'eos-out';
const GROUP = 'eos-group';
const TXN_ID = 'eos-processor';
const N = 90;

let krill: RunningKrill;
let kafka: Kafka;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 },
  });
  kafka = kafkaClient(krill.bootstrap, 'txn-eos');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: IN, numPartitions: 3 }, { topic: OUT, numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < N; i += 3) {
    await producer.send({ topic: IN, messages: [i, i + 1, i + 2].map((j) => ({ key: `k${j}`, value: `m${j}`, partition: j % 3 })) });
  }
  await producer.disconnect();
});

afterAll(async () => {
  await krill?.stop();
});

type Outcome = 'commit' | 'abort' | 'crash';

interface Processor {
  /** Resolves when the processor stopped itself (after an abort or a crash). */
  stopped: Promise<Outcome>;
  committedBatches: () => number;
  shutdown: () => Promise<void>;
}

/** A processor whose n-th batch (1-based) ends as `plan(n)` says. */
async function startProcessor(plan: (batch: number) => Outcome): Promise<Processor> {
  const producer = kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: GROUP, readUncommitted: false, maxBytesPerPartition: 64, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: IN, fromBeginning: true });
  let batches = 0;
  let committed = 0;
  let halted = false;
  let stop: (o: Outcome) => void = () => undefined;
  const stopped = new Promise<Outcome>((resolve) => (stop = resolve));
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (halted || batch.messages.length === 0) return;
      const txn = await producer.transaction();
      await txn.send({ topic: OUT, messages: batch.messages.map((m) => ({ key: m.key, value: `out:${m.value?.toString()}`, partition: batch.partition })) });
      await txn.sendOffsets({
        consumerGroupId: GROUP,
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: String(Number(batch.lastOffset()) + 1) }] }],
      });
      const outcome = plan(++batches);
      if (outcome === 'commit') {
        await txn.commit();
        resolveOffset(batch.lastOffset());
        committed++;
        return;
      }
      halted = true;
      if (outcome === 'abort') await txn.abort();
      // 'crash': the transaction is left open, as a process dying here would leave it.
      stop(outcome);
    },
  });
  return {
    stopped,
    committedBatches: () => committed,
    shutdown: async () => {
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

async function groupCaughtUp(): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(IN);
    const committed = (await admin.fetchOffsets({ groupId: GROUP, topics: [IN] }))[0].partitions;
    return ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high);
  } finally {
    await admin.disconnect();
  }
}

describe('consume-transform-produce with transactions', () => {
  it('delivers every input exactly once across a crash and an abort', async () => {
    const a = await startProcessor((n) => (n === 4 ? 'crash' : 'commit'));
    expect(await a.stopped).toBe('crash');
    expect(a.committedBatches()).toBe(3);
    await a.shutdown();

    const b = await startProcessor((n) => (n === 3 ? 'abort' : 'commit'));
    expect(await b.stopped).toBe('abort');
    await b.shutdown();

    const c = await startProcessor(() => 'commit');
    const deadline = Date.now() + 30_000;
    while (!(await groupCaughtUp())) {
      if (Date.now() > deadline) throw new Error('the processor did not finish the input');
      await new Promise((r) => setTimeout(r, 200));
    }
    await c.shutdown();

    const out = await readTopic(kafka, OUT, { count: N });
    expect(out).toHaveLength(N);
    expect(new Set(out).size).toBe(N);
    expect([...out].sort()).toEqual(Array.from({ length: N }, (_, i) => `out:m${i}`).sort());
    const everything = await readTopic(kafka, OUT, { count: N + 2, readUncommitted: true });
    expect(everything.length).toBeGreaterThan(N);
  });
});
