/**
 * CreateTopics (19), DeleteTopics (20), CreatePartitions (37).
 * Create: the topic appears in Metadata with its partitions and configs
 * (v5+ echo partitions, replication factor and configs; v7+ the topic id);
 * a second create is TOPIC_ALREADY_EXISTS; validateOnly creates nothing;
 * bad names, partition counts, replication factors and configs get their
 * own error codes. Delete: by name (and by id from v6), gone from Metadata
 * after; unknown names / ids are errors. CreatePartitions: grows a topic,
 * refuses to shrink it, validateOnly changes nothing.
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../api/error-codes.js';
import { ZERO_UUID } from '../../protocol/primitives/index.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail, find } from '../assert.js';
import { Api } from '../ops.js';
import { poll, type CheckContext } from '../suite.js';

async function createOne(c: KafkaConnection, v: number, name: string, o: { partitions?: number; rf?: number; configs?: Record<string, string>; validateOnly?: boolean } = {}) {
  const res = await c.request(Api.CreateTopics, v, {
    topics: [
      {
        name,
        numPartitions: o.partitions ?? 1,
        replicationFactor: o.rf ?? (v >= 4 ? -1 : 1),
        assignments: [],
        configs: Object.entries(o.configs ?? {}).map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 10_000,
    validateOnly: o.validateOnly ?? false,
  });
  return find(res.topics, (t) => t.name === name, `topic ${name}`);
}

/** Partition count Metadata shows for the topic, or null when unknown. */
async function partitionCount(ctx: CheckContext, name: string): Promise<number | null> {
  const t = await ctx.suite.describeTopic(name);
  return t ? t.partitions.length : null;
}

async function eventually(ctx: CheckContext, name: string, want: number | null, what: string): Promise<void> {
  const got = await poll(async () => ((await partitionCount(ctx, name)) === want ? true : undefined), 10_000);
  if (!got) fail(`${what}: Metadata shows ${(await partitionCount(ctx, name)) ?? 'no topic'} partitions, expected ${want ?? 'no topic'} (waited 10 s)`);
}

const create: Check = {
  id: 'create-topics.create',
  title: 'creates a topic with its partitions and configs; Metadata lists it',
  apiKey: Api.CreateTopics,
  versions: 'all',
  tagged: true,
  requires: [Api.Metadata],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`created-v${v}${ctx.injectTags ? '-t' : ''}`);
    ctx.suite.track(name);
    const c = await ctx.conn();
    const r = await createOne(c, v, name, { partitions: 2, configs: { 'retention.ms': '3600000' } });
    expectNoError(r.errorCode, 'errorCode');
    if (v >= 5) {
      expectEqual(r.numPartitions, 2, 'numPartitions');
      expectTrue(r.replicationFactor >= 1, `replicationFactor ${r.replicationFactor}`);
      const cfg = r.configs?.find((x) => x.name === 'retention.ms');
      expectEqual(cfg?.value, '3600000', 'retention.ms in the answer');
    }
    if (v >= 7) expectTrue(r.topicId !== ZERO_UUID, 'topicId is the zero UUID');
    await eventually(ctx, name, 2, 'after create');
    const again = await createOne(c, v, name, { partitions: 2 });
    expectError(again.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS, 'second create errorCode');
  },
};

const validateOnly: Check = {
  id: 'create-topics.validate-only',
  title: 'validateOnly answers as a create would and creates nothing',
  apiKey: Api.CreateTopics,
  versions: { min: 1 },
  requires: [Api.Metadata],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`validate-only-v${v}`);
    const c = await ctx.conn();
    const r = await createOne(c, v, name, { partitions: 3, validateOnly: true });
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(await partitionCount(ctx, name), null, 'partitions of the validated topic');
  },
};

const invalid: Check = {
  id: 'create-topics.invalid',
  title: 'bad name, partition count, replication factor and config get their error codes',
  apiKey: Api.CreateTopics,
  versions: 'all',
  async run(ctx, v) {
    const c = await ctx.conn();
    const base = ctx.suite.topicName(`invalid-v${v}`);
    const cases: Array<[string, Parameters<typeof createOne>[3], number]> = [
      ['bad name!', {}, ErrorCode.INVALID_TOPIC_EXCEPTION],
      [`${base}-partitions`, { partitions: 0 }, ErrorCode.INVALID_PARTITIONS],
      [`${base}-rf`, { rf: 1000 }, ErrorCode.INVALID_REPLICATION_FACTOR],
      [`${base}-config`, { configs: { 'no.such.config': '1' } }, ErrorCode.INVALID_CONFIG],
      [`${base}-config-value`, { configs: { 'retention.ms': 'soon' } }, ErrorCode.INVALID_CONFIG],
    ];
    const wrong: string[] = [];
    for (const [name, o, code] of cases) {
      const r = await createOne(c, v, name, o);
      if (r.errorCode !== code) wrong.push(`${name}: expected ${code}, got ${r.errorCode}`);
      if (r.errorCode === 0) ctx.suite.track(name);
    }
    if (wrong.length > 0) fail(wrong.join('; '));
  },
};

async function deleteOne(c: KafkaConnection, v: number, t: { name?: string; id?: string }) {
  const res = await c.request(Api.DeleteTopics, v, {
    topics: [{ name: t.name ?? null, topicId: t.id ?? ZERO_UUID }],
    topicNames: t.name ? [t.name] : [],
    timeoutMs: 10_000,
  });
  expectEqual(res.responses.length, 1, 'results');
  return res.responses[0]!;
}

const del: Check = {
  id: 'delete-topics.delete',
  title: 'deletes a topic by name; Metadata no longer lists it',
  apiKey: Api.DeleteTopics,
  versions: 'all',
  tagged: true,
  requires: [Api.CreateTopics, Api.Metadata],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`deleted-v${v}${ctx.injectTags ? '-t' : ''}`);
    await ctx.suite.createTopic(name, { partitions: 1 });
    const c = await ctx.conn();
    const r = await deleteOne(c, v, { name });
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.name, name, 'name in the answer');
    await eventually(ctx, name, null, 'after delete');
  },
};

const delById: Check = {
  id: 'delete-topics.by-id',
  title: 'deletes a topic by id (v6+)',
  apiKey: Api.DeleteTopics,
  versions: { min: 6 },
  requires: [Api.CreateTopics, Api.Metadata],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`deleted-by-id-v${v}`);
    const t = await ctx.suite.createTopic(name, { partitions: 1 });
    if (t.id === ZERO_UUID) fail('Metadata gives no topic id, yet DeleteTopics v6 (by id) is advertised');
    const c = await ctx.conn();
    const r = await deleteOne(c, v, { id: t.id });
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.topicId, t.id, 'topicId in the answer');
    await eventually(ctx, name, null, 'after delete');
  },
};

const delUnknown: Check = {
  id: 'delete-topics.unknown',
  title: 'an unknown name is UNKNOWN_TOPIC_OR_PARTITION, an unknown id (v6+) UNKNOWN_TOPIC_ID',
  apiKey: Api.DeleteTopics,
  versions: 'all',
  async run(ctx, v) {
    const c = await ctx.conn();
    expectError((await deleteOne(c, v, { name: ctx.suite.topicName(`never-v${v}`) })).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown name errorCode');
    if (v >= 6) expectError((await deleteOne(c, v, { id: randomBytes(16).toString('base64url') })).errorCode, ErrorCode.UNKNOWN_TOPIC_ID, 'unknown id errorCode');
  },
};

async function createPartitions(c: KafkaConnection, v: number, name: string, count: number, validateOnly = false) {
  const res = await c.request(Api.CreatePartitions, v, { topics: [{ name, count, assignments: null }], timeoutMs: 10_000, validateOnly });
  return find(res.results, (r) => r.name === name, `topic ${name}`);
}

const grow: Check = {
  id: 'create-partitions.grow',
  title: 'grows a topic; validateOnly changes nothing; the same count is INVALID_PARTITIONS',
  apiKey: Api.CreatePartitions,
  versions: 'all',
  tagged: true,
  requires: [Api.CreateTopics, Api.Metadata],
  async run(ctx, v) {
    const name = ctx.suite.topicName(`grown-v${v}${ctx.injectTags ? '-t' : ''}`);
    await ctx.suite.createTopic(name, { partitions: 1 });
    const c = await ctx.conn();
    expectNoError((await createPartitions(c, v, name, 3, true)).errorCode, 'validateOnly errorCode');
    expectEqual(await partitionCount(ctx, name), 1, 'partitions after validateOnly');
    expectNoError((await createPartitions(c, v, name, 3)).errorCode, 'errorCode');
    await eventually(ctx, name, 3, 'after growing to 3');
    expectError((await createPartitions(c, v, name, 3)).errorCode, ErrorCode.INVALID_PARTITIONS, 'same count errorCode');
    expectError((await createPartitions(c, v, name, 2)).errorCode, ErrorCode.INVALID_PARTITIONS, 'smaller count errorCode');
  },
};

const growUnknown: Check = {
  id: 'create-partitions.unknown-topic',
  title: 'an unknown topic is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: Api.CreatePartitions,
  versions: 'all',
  async run(ctx, v) {
    const c = await ctx.conn();
    const r = await createPartitions(c, v, ctx.suite.topicName(`never-grown-v${v}`), 2);
    expectError(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode');
  },
};

export const topicChecks: Check[] = [create, validateOnly, invalid, del, delById, delUnknown, grow, growUnknown];
