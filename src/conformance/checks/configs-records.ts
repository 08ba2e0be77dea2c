/**
 * DeleteRecords (21), AlterConfigs (33), IncrementalAlterConfigs (44).
 * DeleteRecords moves the log start: the answer's low watermark is the new
 * start, ListOffsets earliest and Fetch's log start follow it, a fetch below
 * it is OFFSET_OUT_OF_RANGE; -1 means the high watermark; past the high
 * watermark is OFFSET_OUT_OF_RANGE; unknown partitions are
 * UNKNOWN_TOPIC_OR_PARTITION.
 * AlterConfigs replaces a topic's whole set of overrides (those not named go
 * back to their defaults); IncrementalAlterConfigs SETs and DELETEs single
 * configs and APPENDs to list configs; both honour validateOnly and answer
 * INVALID_CONFIG for unknown names or bad values and
 * UNKNOWN_TOPIC_OR_PARTITION for unknown topics.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, fail, find } from '../assert.js';
import { Api, batch, fetchPartition, latestOffset, listOffset, produce, sampleRecords, topicRef } from '../ops.js';
import { poll, type CheckContext } from '../suite.js';

const TOPIC = 2;
const DEFAULT_RETENTION_MS = '604800000';

async function deleteRecords(c: KafkaConnection, v: number, topic: string, partition: number, offset: bigint) {
  const res = await c.request(Api.DeleteRecords, v, { topics: [{ name: topic, partitions: [{ partitionIndex: partition, offset }] }], timeoutMs: 10_000 });
  const t = find(res.topics, (x) => x.name === topic, `topic ${topic}`);
  return find(t.partitions, (p) => p.partitionIndex === partition, `partition ${partition}`);
}

const deletes: Check = {
  id: 'delete-records.delete',
  title: 'moves the log start: low watermark, earliest offset and fetches follow; -1 means the high watermark',
  apiKey: Api.DeleteRecords,
  versions: 'all',
  tagged: true,
  requires: [Api.Produce, Api.Fetch, Api.ListOffsets, Api.CreateTopics],
  async run(ctx, v) {
    const topic = await ctx.suite.createTopic(ctx.suite.topicName(`delete-records-v${v}${ctx.injectTags ? '-t' : ''}`));
    ctx.suite.track(topic.name);
    const c = await ctx.leader(topic);
    expectNoError((await produce(c, ctx.suite.versionIn(Api.Produce, 3), topic.name, 0, batch(sampleRecords('a', 3)))).errorCode, 'produce errorCode');
    expectNoError((await produce(c, ctx.suite.versionIn(Api.Produce, 3), topic.name, 0, batch(sampleRecords('b', 2)))).errorCode, 'produce errorCode');
    const r = await deleteRecords(c, v, topic.name, 0, 3n);
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.lowWatermark, 3n, 'lowWatermark');
    const earliest = await listOffset(c, ctx.suite.maxVersion(Api.ListOffsets), topic.name, 0, -2n);
    expectEqual(earliest.offset, 3n, 'earliest offset after the delete');
    const fv = ctx.suite.versionIn(Api.Fetch, 5);
    expectError((await fetchPartition(c, fv, topicRef(topic), 0, 0n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'fetch below the new log start');
    const p = await fetchPartition(c, fv, topicRef(topic), 0, 3n);
    expectNoError(p.errorCode, 'fetch at the new log start');
    expectEqual(p.logStartOffset, 3n, 'logStartOffset in the fetch answer');
    expectError((await deleteRecords(c, v, topic.name, 0, 100n)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'errorCode past the high watermark');
    const all = await deleteRecords(c, v, topic.name, 0, -1n);
    expectNoError(all.errorCode, 'errorCode for -1');
    expectEqual(all.lowWatermark, await latestOffset(ctx.suite, c, topic.name), 'lowWatermark for -1 (the high watermark)');
    expectError((await deleteRecords(c, v, topic.name, 7, 0n)).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for an unknown partition');
  },
};

/** The topic's config value and source as DescribeConfigs reports it. */
async function describeConfig(ctx: CheckContext, c: KafkaConnection, topic: string, name: string): Promise<{ value: string | null; source: number }> {
  const res = await c.request(Api.DescribeConfigs, ctx.suite.maxVersion(Api.DescribeConfigs), {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: [name] }],
  });
  const r = res.results[0];
  expectNoError(r?.errorCode, 'DescribeConfigs errorCode');
  const e = find(r!.configs, (x) => x.name === name, name);
  return { value: e.value, source: e.configSource };
}

/** Waits (up to 5 s) for DescribeConfigs to show `want` for the config; fails with what it shows. */
async function expectConfig(ctx: CheckContext, c: KafkaConnection, topic: string, name: string, want: string, what: string): Promise<void> {
  const ok = await poll(async () => ((await describeConfig(ctx, c, topic, name)).value === want ? true : undefined), 5000);
  if (!ok) fail(`${what}: ${name} is ${(await describeConfig(ctx, c, topic, name)).value}, expected ${want}`);
}

async function alterConfigs(c: KafkaConnection, v: number, topic: string, configs: Record<string, string>, validateOnly = false): Promise<number> {
  const res = await c.request(Api.AlterConfigs, v, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configs: Object.entries(configs).map(([name, value]) => ({ name, value })) }],
    validateOnly,
  });
  return find(res.responses, (r) => r.resourceName === topic, `resource ${topic}`).errorCode;
}

const alter: Check = {
  id: 'alter-configs.replace',
  title: 'replaces the whole set of topic overrides; validateOnly changes nothing; bad names and values are INVALID_CONFIG',
  apiKey: Api.AlterConfigs,
  versions: 'all',
  tagged: true,
  requires: [Api.CreateTopics, Api.DescribeConfigs],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`alter-configs-v${v}${ctx.injectTags ? '-t' : ''}`);
    await ctx.suite.createTopic(name, { configs: { 'retention.ms': '3600000' } });
    ctx.suite.track(name);
    const c = await ctx.conn();
    expectNoError(await alterConfigs(c, v, name, { 'segment.ms': '7200000' }, true), 'validateOnly errorCode');
    await expectConfig(ctx, c, name, 'retention.ms', '3600000', 'after validateOnly');
    expectNoError(await alterConfigs(c, v, name, { 'segment.ms': '7200000' }), 'errorCode');
    await expectConfig(ctx, c, name, 'segment.ms', '7200000', 'after AlterConfigs');
    await expectConfig(ctx, c, name, 'retention.ms', DEFAULT_RETENTION_MS, 'an override AlterConfigs did not name (back to the default)');
    expectError(await alterConfigs(c, v, name, { 'no.such.config': '1' }), ErrorCode.INVALID_CONFIG, 'errorCode for an unknown config');
    expectError(await alterConfigs(c, v, name, { 'retention.ms': 'soon' }), ErrorCode.INVALID_CONFIG, 'errorCode for a bad value');
    expectError(await alterConfigs(c, v, ctx.suite.topicName(`never-altered-v${v}`), { 'retention.ms': '1000' }), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for an unknown topic');
  },
};

const SET = 0;
const DELETE = 1;
const APPEND = 2;

async function incremental(c: KafkaConnection, v: number, topic: string, ops: Array<[string, number, string | null]>, validateOnly = false): Promise<number> {
  const res = await c.request(Api.IncrementalAlterConfigs, v, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configs: ops.map(([name, configOperation, value]) => ({ name, configOperation, value })) }],
    validateOnly,
  });
  return find(res.responses, (r) => r.resourceName === topic, `resource ${topic}`).errorCode;
}

const incrementalAlter: Check = {
  id: 'incremental-alter-configs.ops',
  title: 'SET, DELETE and APPEND change single configs; validateOnly changes nothing; bad names and values are INVALID_CONFIG',
  apiKey: Api.IncrementalAlterConfigs,
  versions: 'all',
  tagged: true,
  requires: [Api.CreateTopics, Api.DescribeConfigs],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`incremental-configs-v${v}${ctx.injectTags ? '-t' : ''}`);
    await ctx.suite.createTopic(name, { configs: { 'retention.ms': '3600000' } });
    ctx.suite.track(name);
    const c = await ctx.conn();
    expectNoError(await incremental(c, v, name, [['segment.ms', SET, '7200000']], true), 'validateOnly errorCode');
    expectNoError(await incremental(c, v, name, [['segment.ms', SET, '7200000']]), 'SET errorCode');
    await expectConfig(ctx, c, name, 'segment.ms', '7200000', 'after SET');
    await expectConfig(ctx, c, name, 'retention.ms', '3600000', 'an override SET did not touch');
    expectNoError(await incremental(c, v, name, [['retention.ms', DELETE, null]]), 'DELETE errorCode');
    await expectConfig(ctx, c, name, 'retention.ms', DEFAULT_RETENTION_MS, 'after DELETE (back to the default)');
    expectNoError(await incremental(c, v, name, [['cleanup.policy', APPEND, 'compact']]), 'APPEND errorCode');
    await expectConfig(ctx, c, name, 'cleanup.policy', 'delete,compact', 'after APPEND');
    expectError(await incremental(c, v, name, [['no.such.config', SET, '1']]), ErrorCode.INVALID_CONFIG, 'errorCode for an unknown config');
    expectError(await incremental(c, v, name, [['retention.ms', SET, 'soon']]), ErrorCode.INVALID_CONFIG, 'errorCode for a bad value');
    expectError(await incremental(c, v, ctx.suite.topicName(`never-incremented-v${v}`), [['retention.ms', SET, '1000']]), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode for an unknown topic');
  },
};

export const configsAndRecordsChecks: Check[] = [deletes, alter, incrementalAlter];
