/**
 * Krill-specific checks, run only with --krill: behaviour Krill documents
 * that a Kafka broker legitimately does differently.
 */
import type { Check } from '../check.js';
import { expectEqual, expectNoError, expectTrue, fail } from '../assert.js';
import { Api, fetchRaw, topicRef } from '../ops.js';

const sessionless: Check = {
  id: 'krill.fetch-sessionless',
  title: 'Krill answers fetches without sessions: a request to open one gets session id 0 (KIP-227 allows it)',
  apiKey: Api.Fetch,
  versions: { min: 7 },
  krillOnly: true,
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('krill');
    const c = await ctx.leader(topic);
    const res = await fetchRaw(c, v, topicRef(topic), 0, 0n, { sessionId: 0, sessionEpoch: 0 });
    expectNoError(res.errorCode, 'errorCode');
    expectEqual(res.sessionId, 0, 'sessionId');
  },
};

const brokerConfigs: Check = {
  id: 'krill.broker-configs',
  title: "Krill's broker configs include krill.fsync.before.ack",
  apiKey: Api.DescribeConfigs,
  krillOnly: true,
  async run(ctx) {
    const [nodeId] = [...ctx.suite.brokers.keys()];
    if (nodeId === undefined) fail('no brokers in Metadata');
    const c = await ctx.conn(nodeId);
    const res = await c.request(Api.DescribeConfigs, ctx.suite.maxVersion(Api.DescribeConfigs), {
      resources: [{ resourceType: 4, resourceName: String(nodeId), configurationKeys: null }],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    const r = res.results[0];
    expectNoError(r?.errorCode, 'errorCode');
    expectTrue(r!.configs.some((x) => x.name === 'krill.fsync.before.ack'), 'krill.fsync.before.ack is not listed');
  },
};

export const krillChecks: Check[] = [sessionless, brokerConfigs];
