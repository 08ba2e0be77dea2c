/**
 * Compaction end to end with kafkajs: a keyed topic with overwrites and
 * tombstones (cleanup.policy=compact, small segments, a low dirty ratio)
 * converges, with the broker's background cleaner, to the newest value per
 * key at its original offset, tombstones gone after delete.retention.ms; a
 * kafkajs consumer reads the compacted log from the beginning across the
 * offset gaps; the result survives a restart. A produce with a keyless
 * record to a compacted topic is refused with INVALID_RECORD (87), as
 * Kafka's LogValidator refuses it, and nothing of the batch is appended.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { CompressionTypes, kafkaClient } from '../helpers/kafkajs.js';
import { readRecords } from '../unit/log/keyed.js';
import { RawClient } from '../helpers/raw-client.js';
import { buildBatchSync } from '../../src/protocol/records.js';

let dataDir: string;
let krill: RunningKrill;
const CONFIG = { 'log.cleaner.backoff.ms': 200, 'log.retention.check.interval.ms': 200, 'group.initial.rebalance.delay.ms': 0 };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'krill-compact-'));
  krill = await startKrill({ dataDir, config: CONFIG });
});

afterAll(async () => {
  await krill?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('compaction', () => {
  it('converges a keyed topic with overwrites and tombstones to the newest value per key', async () => {
    const topic = 'profiles';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: 1,
          configEntries: [
            { name: 'cleanup.policy', value: 'compact' },
            { name: 'segment.bytes', value: '4096' },
            { name: 'min.cleanable.dirty.ratio', value: '0.01' },
            { name: 'delete.retention.ms', value: '500' },
          ],
        },
      ],
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const latest = new Map<string, { value: string | null; offset: number }>();
    for (let round = 0; round < 30; round++) {
      const messages = Array.from({ length: 10 }, (_, i) => {
        const key = `user-${(round * 7 + i) % 25}`;
        const tombstone = round > 0 && (round * 10 + i) % 13 === 0;
        return { key, value: tombstone ? null : `round ${round} ${'x'.repeat(40)}` };
      });
      const [res] = await producer.send({ topic, acks: -1, messages, compression: round % 2 === 0 ? CompressionTypes.GZIP : CompressionTypes.None });
      const base = Number(res?.baseOffset);
      messages.forEach((m, i) => latest.set(m.key, { value: m.value, offset: base + i }));
    }
    // Wait out delete.retention.ms, then fill past the data so every keyed record sits in a sealed segment.
    await new Promise((r) => setTimeout(r, 600));
    let fillerStart = -1;
    for (let i = 0; i < 12; i++) {
      const [res] = await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ key: `filler-${i}-${j}`, value: 'y'.repeat(60) })) });
      if (fillerStart < 0) fillerStart = Number(res?.baseOffset);
    }
    const log = krill.node.replicas.partition(topic, 0)!.log;
    const expected = [...latest.entries()]
      .filter(([, v]) => v.value !== null)
      .map(([key, v]) => ({ offset: v.offset, key, value: v.value }))
      .sort((a, b) => a.offset - b.offset);
    const keyed = async () => (await readRecords(log)).filter((r) => r.offset < fillerStart);
    await waitFor('the cleaner to compact the keyed records', async () => JSON.stringify(await keyed()) === JSON.stringify(expected));
    expect(expected.length).toBeLessThan(latest.size);

    // A kafkajs consumer reads the compacted log from the beginning.
    const consumer = kafka.consumer({ groupId: 'compaction-reader' });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: Array<{ offset: number; key: string; value: string | null }> = [];
    const total = expected.length + 120;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push({ offset: Number(message.offset), key: message.key!.toString(), value: message.value?.toString() ?? null });
            if (seen.length >= total) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(seen.filter((m) => m.offset < fillerStart)).toEqual(expected);
    const offsets = seen.map((m) => m.offset);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    await producer.disconnect();
    await admin.disconnect();

    // The compacted log survives a restart.
    await krill.stop();
    krill = await startKrill({ dataDir, config: CONFIG });
    const again = krill.node.replicas.partition(topic, 0)!.log;
    expect((await readRecords(again)).filter((r) => r.offset < fillerStart)).toEqual(expected);
  });

  it('refuses a keyless record on a compacted topic with INVALID_RECORD, compressed or not', async () => {
    const topic = 'keys-required';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
    const producer = kafka.producer({ retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'keyed' }] });
      for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
        const err = await producer
          .send({ topic, acks: -1, compression, messages: [{ key: 'k2', value: 'keyed' }, { value: 'no key' }] })
          .then(() => null, (e: unknown) => e);
        expect(err).not.toBeNull();
        // kafkajs wraps the partition's error; its cause names the Kafka error.
        const text = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String((err as { cause?: unknown }).cause);
        expect(text).toMatch(/INVALID_RECORD|failed the validation/);
      }
      const log = krill.node.replicas.partition(topic, 0)!.log;
      expect(log.logEndOffset).toBe(1);
      expect((await readRecords(log)).map((r) => r.key)).toEqual(['k']);
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('names each keyless record in record_errors with an error message (Produce v8+, KIP-467)', async () => {
    const topic = 'keys-required-raw';
    const c = await RawClient.connect(krill.bootstrap);
    try {
      const created = await c.request(19, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }] }], timeoutMs: 10_000, validateOnly: false });
      expect(created.topics[0]!.errorCode).toBe(0);
      const records = buildBatchSync({ records: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }, { key: null, value: Buffer.from('3') }] });
      const r = await c.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      const p = r.responses[0]!.partitionResponses[0]!;
      expect(p.errorCode).toBe(87);
      expect(p.recordErrors.map((e) => e.batchIndex)).toEqual([1, 2]);
      expect(p.recordErrors[0]!.batchIndexErrorMessage).toMatch(/without key/);
      expect(p.errorMessage).toMatch(/2 record\(s\) rejected/);
    } finally {
      c.close();
    }
  });
});
