/**
 * DescribeConfigs (32) and DescribeCluster (60).
 * DescribeConfigs: a topic's configs include the one set at creation, marked
 * as a dynamic topic config (v1+ configSource), and defaults for the rest;
 * configurationKeys filters; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION;
 * a broker resource (sent to that broker) lists its configs.
 * DescribeCluster: the cluster id and brokers agree with Metadata.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail, find } from '../assert.js';
import { Api, metadata } from '../ops.js';

const TOPIC = 2;
const BROKER = 4;
const DYNAMIC_TOPIC_CONFIG = 1;

async function describeOne(c: KafkaConnection, v: number, resourceType: number, resourceName: string, keys: string[] | null = null) {
  const res = await c.request(Api.DescribeConfigs, v, {
    resources: [{ resourceType, resourceName, configurationKeys: keys }],
    includeSynonyms: v >= 1,
    includeDocumentation: v >= 3,
  });
  expectEqual(res.results.length, 1, 'results');
  return res.results[0]!;
}

const topicConfigs: Check = {
  id: 'describe-configs.topic',
  title: 'a topic lists the config set at creation (a dynamic topic config) and the defaults',
  apiKey: Api.DescribeConfigs,
  versions: 'all',
  tagged: true,
  requires: [Api.CreateTopics],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('configs', { configs: { 'retention.ms': '3600000' } });
    const c = await ctx.conn();
    const r = await describeOne(c, v, TOPIC, topic.name);
    expectNoError(r.errorCode, 'errorCode');
    const set = find(r.configs, (x) => x.name === 'retention.ms', 'retention.ms');
    expectEqual(set.value, '3600000', 'retention.ms value');
    if (v === 0) expectEqual(set.isDefault, false, 'retention.ms isDefault');
    else expectEqual(set.configSource, DYNAMIC_TOPIC_CONFIG, 'retention.ms configSource');
    const policy = find(r.configs, (x) => x.name === 'cleanup.policy', 'cleanup.policy');
    expectEqual(policy.value, 'delete', 'cleanup.policy value');
    if (v === 0) expectEqual(policy.isDefault, true, 'cleanup.policy isDefault');
    else expectTrue(policy.configSource !== DYNAMIC_TOPIC_CONFIG, 'cleanup.policy is reported as set on the topic');
  },
};

const keysFilter: Check = {
  id: 'describe-configs.keys',
  title: 'configurationKeys limits the answer to those keys',
  apiKey: Api.DescribeConfigs,
  versions: 'all',
  requires: [Api.CreateTopics],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('configs', { configs: { 'retention.ms': '3600000' } });
    const c = await ctx.conn();
    const r = await describeOne(c, v, TOPIC, topic.name, ['retention.ms', 'cleanup.policy']);
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.configs.map((x) => x.name).sort().join(','), 'cleanup.policy,retention.ms', 'configs returned');
  },
};

const unknownTopic: Check = {
  id: 'describe-configs.unknown-topic',
  title: 'an unknown topic is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: Api.DescribeConfigs,
  versions: 'all',
  async run(ctx, v) {
    const c = await ctx.conn();
    const r = await describeOne(c, v, TOPIC, ctx.suite.topicName(`missing-configs-v${v}`));
    expectError(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode');
  },
};

const brokerConfigs: Check = {
  id: 'describe-configs.broker',
  title: 'a broker resource sent to that broker lists its configs',
  apiKey: Api.DescribeConfigs,
  versions: 'all',
  async run(ctx, v) {
    const [nodeId] = [...ctx.suite.brokers.keys()];
    if (nodeId === undefined) fail('no brokers in Metadata');
    const c = await ctx.conn(nodeId);
    const r = await describeOne(c, v, BROKER, String(nodeId));
    expectNoError(r.errorCode, 'errorCode');
    expectTrue(r.configs.length > 0, 'no broker configs listed');
  },
};

const cluster: Check = {
  id: 'describe-cluster.matches-metadata',
  title: 'cluster id and brokers agree with Metadata',
  apiKey: Api.DescribeCluster,
  versions: 'all',
  tagged: true,
  requires: [Api.Metadata],
  async run(ctx, v) {
    const c = await ctx.conn();
    const res = await c.request(Api.DescribeCluster, v, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expectNoError(res.errorCode, 'errorCode');
    if (v >= 1) expectEqual(res.endpointType, 1, 'endpointType');
    const md = await metadata(c, ctx.suite.maxVersion(Api.Metadata), []);
    expectEqual(res.clusterId, md.clusterId, 'clusterId');
    const show = (bs: Array<{ id: number; host: string; port: number }>): string =>
      bs.map((b) => `${b.id}@${b.host}:${b.port}`).sort().join(',');
    expectEqual(
      show(res.brokers.map((b) => ({ id: b.brokerId, host: b.host, port: b.port }))),
      show(md.brokers.map((b) => ({ id: b.nodeId, host: b.host, port: b.port }))),
      'brokers',
    );
  },
};

export const describeChecks: Check[] = [topicConfigs, keysFilter, unknownTopic, brokerConfigs, cluster];
