/**
 * Metadata (3): a created topic is listed with its partitions, leaders among
 * the listed brokers and (by version) cluster id, leader epochs and topic
 * ids; "all topics" includes it; an unknown topic is
 * UNKNOWN_TOPIC_OR_PARTITION and is not created when the request forbids
 * auto-creation (v4+).
 */
import { ErrorCode } from '../../api/error-codes.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, find } from '../assert.js';
import { Api, metadata } from '../ops.js';

const K = Api.Metadata;
const PARTITIONS = 2;

const listsTopic: Check = {
  id: 'metadata.lists-topic',
  title: 'lists a created topic with its partitions, leaders and brokers',
  apiKey: K,
  versions: 'all',
  tagged: true,
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('metadata', { partitions: PARTITIONS });
    const c = await ctx.conn();
    const res = await metadata(c, v, [topic.name]);
    expectTrue(res.brokers.length > 0, 'no brokers listed');
    for (const b of res.brokers) expectTrue(b.host.length > 0 && b.port > 0 && b.port < 65536, `broker ${b.nodeId} has endpoint ${b.host}:${b.port}`);
    const ids = new Set(res.brokers.map((b) => b.nodeId));
    if (v >= 2) expectTrue(res.clusterId !== null && res.clusterId.length > 0, 'clusterId is empty');
    if (v >= 1) expectTrue(res.controllerId === -1 || ids.has(res.controllerId) || res.controllerId >= 0, `controllerId ${res.controllerId}`);
    const t = find(res.topics, (x) => x.name === topic.name, `topic ${topic.name}`);
    expectNoError(t.errorCode, 'topic errorCode');
    if (v >= 1) expectEqual(t.isInternal, false, 'isInternal');
    if (v >= 10) expectTrue(t.topicId !== ZERO_UUID, 'topicId is the zero UUID');
    expectEqual(t.partitions.length, PARTITIONS, 'partition count');
    const indexes = t.partitions.map((p) => p.partitionIndex).sort();
    expectEqual(indexes.join(','), '0,1', 'partition indexes');
    for (const p of t.partitions) {
      expectNoError(p.errorCode, `partition ${p.partitionIndex} errorCode`);
      expectTrue(ids.has(p.leaderId), `partition ${p.partitionIndex} leader ${p.leaderId} is not a listed broker`);
      expectTrue(p.replicaNodes.includes(p.leaderId), `partition ${p.partitionIndex} leader is not among its replicas`);
      expectTrue(p.isrNodes.includes(p.leaderId), `partition ${p.partitionIndex} leader is not in the ISR`);
      if (v >= 7) expectTrue(p.leaderEpoch >= 0, `partition ${p.partitionIndex} leader epoch ${p.leaderEpoch}`);
    }
  },
};

const allTopics: Check = {
  id: 'metadata.all-topics',
  title: 'a request for all topics includes a created topic',
  apiKey: K,
  versions: 'all',
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('metadata', { partitions: PARTITIONS });
    const c = await ctx.conn();
    const res = await metadata(c, v, null);
    const t = find(res.topics, (x) => x.name === topic.name, `topic ${topic.name} in the all-topics answer`);
    expectEqual(t.partitions.length, PARTITIONS, 'partition count');
  },
};

const unknownTopic: Check = {
  id: 'metadata.unknown-topic',
  title: 'an unknown topic is UNKNOWN_TOPIC_OR_PARTITION and not created when auto-creation is off',
  apiKey: K,
  versions: { min: 4 },
  tagged: true,
  async run(ctx, v) {
    const name = ctx.suite.topicName(`missing-metadata-v${v}`);
    const c = await ctx.conn();
    for (let i = 0; i < 2; i++) {
      const res = await metadata(c, v, [name], false);
      const t = find(res.topics, (x) => x.name === name, `topic ${name}`);
      expectError(t.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, i === 0 ? 'errorCode' : 'errorCode on the second request (was it created?)');
      expectEqual(t.partitions.length, 0, 'partitions of an unknown topic');
    }
  },
};

export const metadataChecks: Check[] = [listsTopic, allTopics, unknownTopic];
