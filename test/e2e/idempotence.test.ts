/**
 * Idempotent produce over the wire: InitProducerId hands out ids that never
 * repeat, a retried batch gets its original offset and is stored once, a
 * sequence gap and an old epoch are refused with Kafka's codes, and the
 * dedupe state survives a restart (snapshot) and a crash-like reopen (log scan).
 */
import { mkdtempSync, rmSync, unlinkSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { RawClient } from '../helpers/raw-client.js';
import { kafkaClient } from '../helpers/kafkajs.js';

let dataDir: string;
let krill: RunningKrill;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'krill-idem-'));
  krill = await startKrill({ dataDir });
});

afterAll(async () => {
  await krill?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function produce(c: RawClient, topic: string, pid: bigint, epoch: number, seq: number, n: number) {
  const records = buildBatchSync({
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    records: Array.from({ length: n }, (_, i) => ({ key: `k${seq + i}`, value: `v${seq + i}` })),
  });
  const res = await c.request(0, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return res.responses[0].partitionResponses[0];
}

describe('idempotent producer', () => {
  it('dedupes retries, refuses gaps and old epochs, and keeps that across restarts', async () => {
    let c = await RawClient.connect(krill.bootstrap);
    await c.request(3, 12, { topics: [{ name: 'idem' }], allowAutoTopicCreation: true });
    const a = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    const b = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(a.errorCode).toBe(0);
    expect(b.producerId).not.toBe(a.producerId);
    const pid = a.producerId;

    expect(await produce(c, 'idem', pid, 0, 0, 5)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce(c, 'idem', pid, 0, 5, 5)).toMatchObject({ errorCode: 0, baseOffset: 5n });
    // A retry of the first batch: original offset, nothing appended.
    expect(await produce(c, 'idem', pid, 0, 0, 5)).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce(c, 'idem', pid, 0, 12, 1)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await produce(c, 'idem', pid, 1, 0, 2)).toMatchObject({ errorCode: 0, baseOffset: 10n });
    expect(await produce(c, 'idem', pid, 0, 10, 1)).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    c.close();

    // Clean restart: state comes back from the snapshot.
    await krill.stop();
    krill = await startKrill({ dataDir });
    c = await RawClient.connect(krill.bootstrap);
    expect(await produce(c, 'idem', pid, 1, 0, 2)).toMatchObject({ errorCode: 0, baseOffset: 10n });
    expect(await produce(c, 'idem', pid, 1, 5, 1)).toMatchObject({ errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
    c.close();

    // Without snapshots (as after a crash) the state is rebuilt from the log.
    await krill.stop();
    const dir = join(dataDir, 'idem-0');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.snapshot'))) unlinkSync(join(dir, f));
    krill = await startKrill({ dataDir });
    c = await RawClient.connect(krill.bootstrap);
    expect(await produce(c, 'idem', pid, 1, 0, 2)).toMatchObject({ errorCode: 0, baseOffset: 10n });
    expect(await produce(c, 'idem', pid, 1, 2, 3)).toMatchObject({ errorCode: 0, baseOffset: 12n });
    const lo = await c.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'idem', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(lo.topics[0].partitions[0].offset).toBe(15n);
    c.close();

    // Producer ids never repeat after restarts.
    c = await RawClient.connect(krill.bootstrap);
    const d = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect(d.producerId > b.producerId).toBe(true);
    c.close();
  });

  it('works with the kafkajs idempotent producer', async () => {
    const kafka = kafkaClient(krill.bootstrap);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 20; i++) {
      await producer.send({ topic: 'idem-kafkajs', messages: [{ key: `k${i}`, value: `v${i}` }], acks: -1 });
    }
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('idem-kafkajs');
    expect(offsets[0].high).toBe('20');
    await admin.disconnect();
  });
});
