/**
 * Topic configs changed at run time: IncrementalAlterConfigs (SET, DELETE,
 * APPEND, SUBTRACT, validateOnly) and AlterConfigs (kafkajs admin, whole-set
 * replace) go through the controller, show in DescribeConfigs, reach the
 * partition logs without a restart (a smaller segment.bytes rolls, a
 * retention.bytes deletes) and survive a restart. Errors as Kafka answers
 * them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { RawClient } from '../helpers/raw-client.js';

const CONFIG = { 'log.retention.check.interval.ms': 100 };
let dataDir: string;
let krill: RunningKrill;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'krill-alter-'));
  krill = await startKrill({ dataDir, config: CONFIG });
});

afterAll(async () => {
  await krill?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;
const TOPIC = 2;
const BROKER = 4;

type Op = { name: string; configOperation: number; value: string | null };

async function incremental(c: RawClient, resources: Array<{ resourceType: number; resourceName: string; configs: Op[] }>, validateOnly = false) {
  const res = await c.request(44, 1, { resources, validateOnly });
  return res.responses.map((r) => ({ name: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage }));
}

const topicOps = (topic: string, configs: Op[]) => [{ resourceType: TOPIC, resourceName: topic, configs }];

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('altering topic configs at run time', () => {
  it('IncrementalAlterConfigs changes configs, logs pick them up, and errors match Kafka', async () => {
    const topic = 'tunable';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const c = await RawClient.connect(krill.bootstrap);
    const log = () => krill.node.replicas.partition(topic, 1)!.log;
    try {
      expect(await incremental(c, topicOps(topic, [{ name: 'retention.ms', configOperation: SET, value: '123456' }]))).toEqual([{ name: topic, errorCode: 0, errorMessage: null }]);
      expect(log().config.retentionMs).toBe(123456);
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }] });
      expect(described.resources[0]?.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '123456' });

      await incremental(c, topicOps(topic, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }]));
      expect(log().config.cleanupPolicy).toEqual({ delete: true, compact: true });
      await incremental(c, topicOps(topic, [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' }]));
      expect(log().config.cleanupPolicy).toEqual({ delete: false, compact: true });
      expect(krill.node.image().topic(topic)?.configs.get('cleanup.policy')).toBe('compact');

      await incremental(c, topicOps(topic, [{ name: 'retention.ms', configOperation: DELETE, value: null }]));
      expect(log().config.retentionMs).toBe(604800000);
      expect(krill.node.image().topic(topic)?.configs.has('retention.ms')).toBe(false);

      // validateOnly checks without changing anything.
      expect(await incremental(c, topicOps(topic, [{ name: 'segment.bytes', configOperation: SET, value: '2048' }]), true)).toEqual([{ name: topic, errorCode: 0, errorMessage: null }]);
      expect(log().config.segmentBytes).toBe(1073741824);

      const errors = await incremental(c, [
        ...topicOps(topic, [{ name: 'retention.ms', configOperation: SET, value: 'soon' }]),
        ...topicOps('no-such-topic', [{ name: 'retention.ms', configOperation: SET, value: '1' }]),
      ]);
      expect(errors.map((e) => e.errorCode)).toEqual([ErrorCode.INVALID_CONFIG, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      const each = async (configs: Op[]) => (await incremental(c, topicOps(topic, configs)))[0]?.errorCode;
      expect(await each([{ name: 'no.such.config', configOperation: SET, value: '1' }])).toBe(ErrorCode.INVALID_CONFIG);
      expect(await each([{ name: 'retention.ms', configOperation: APPEND, value: '1' }])).toBe(ErrorCode.INVALID_CONFIG);
      expect(await each([{ name: 'cleanup.policy', configOperation: SET, value: 'shred' }])).toBe(ErrorCode.INVALID_CONFIG);
      expect(await each([{ name: 'retention.ms', configOperation: SET, value: null }])).toBe(ErrorCode.INVALID_REQUEST);
      expect(await each([{ name: 'retention.ms', configOperation: 9, value: '1' }])).toBe(ErrorCode.INVALID_REQUEST);
      expect(
        await each([
          { name: 'retention.ms', configOperation: SET, value: '1' },
          { name: 'retention.ms', configOperation: SET, value: '2' },
        ]),
      ).toBe(ErrorCode.INVALID_REQUEST);
      // A failed resource changes nothing, even its valid entries.
      expect(await each([{ name: 'retention.bytes', configOperation: SET, value: '1000' }, { name: 'segment.ms', configOperation: SET, value: '0' }])).toBe(ErrorCode.INVALID_CONFIG);
      expect(log().config.retentionBytes).toBe(-1);

      const broker = await incremental(c, [
        { resourceType: BROKER, resourceName: '1', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '1' }] },
        { resourceType: BROKER, resourceName: '42', configs: [] },
        { resourceType: 8, resourceName: '1', configs: [] },
      ]);
      expect(broker.map((b) => b.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
      const dup = await incremental(c, [...topicOps(topic, []), ...topicOps(topic, [])]);
      expect(dup.map((d) => d.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    } finally {
      c.close();
      await admin.disconnect();
    }

    // Overrides survive a restart.
    await krill.stop();
    krill = await startKrill({ dataDir, config: CONFIG });
    expect(krill.node.replicas.partition(topic, 1)!.log.config.cleanupPolicy).toEqual({ delete: false, compact: true });
  });

  it('AlterConfigs from kafkajs replaces the override set, and new sizes apply to the running log', async () => {
    const topic = 'resized';
    const kafka = kafkaClient(krill.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '500000' }] }] });
    const log = krill.node.replicas.partition(topic, 0)!.log;
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '2048' }] }],
    });
    // The whole set was replaced: max.message.bytes is back to the default.
    expect(Object.fromEntries(krill.node.image().topic(topic)!.configs)).toEqual({ 'segment.bytes': '2048' });
    expect(log.config.segmentBytes).toBe(2048);
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic, acks: -1, messages: Array.from({ length: 10 }, () => ({ value: 'v'.repeat(100) })) });
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(4);
    // retention.bytes set at run time: the retention check deletes the oldest segments.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '2048' }, { name: 'retention.bytes', value: '4096' }] }],
    });
    await waitFor('retention.bytes to delete old segments', () => log.logStartOffset > 0 && log.size < 4096 + 2048);
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(Number(offsets?.low)).toBe(log.logStartOffset);
    expect(offsets?.high).toBe('100');
    await producer.disconnect();
    await admin.disconnect();
  });
});
