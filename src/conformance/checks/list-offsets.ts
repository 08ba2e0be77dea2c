/**
 * ListOffsets (2). After five records with increasing timestamps are
 * produced: earliest (-2) is 0 and latest (-1) the log end; a timestamp finds
 * the first record at or after it, and one past every record finds -1;
 * max timestamp (-3, v7+, KIP-734) finds the newest record; earliest local
 * (-4, v8+, KIP-405) is the log start; read_committed latest (v2+) is the
 * last stable offset. Errors: unknown topic or partition, fenced / unknown
 * leader epoch (v4+, KIP-320).
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, skip } from '../assert.js';
import { Api, batch, listOffset, produce } from '../ops.js';
import type { CheckContext, Suite, TopicInfo } from '../suite.js';

const K = Api.ListOffsets;
const COUNT = 5;
const STEP_MS = 1000;

interface OffsetsFixture {
  topic: TopicInfo;
  /** Timestamp of record i is t0 + i * STEP_MS. */
  t0: number;
}

const fixtures = new WeakMap<Suite, Promise<OffsetsFixture>>();

function fixture(ctx: CheckContext): Promise<OffsetsFixture> {
  let p = fixtures.get(ctx.suite);
  if (!p) {
    p = build(ctx.suite);
    p.catch(() => fixtures.delete(ctx.suite));
    fixtures.set(ctx.suite, p);
  }
  return p;
}

async function build(suite: Suite): Promise<OffsetsFixture> {
  const topic = await suite.fixture('list-offsets');
  const t0 = Date.now() - 60_000;
  const records = Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `v${i}`, timestamp: t0 + i * STEP_MS }));
  const c = await KafkaConnection.connect(suite.addressOf(topic.partitions[0]!.leader));
  try {
    const r = await produce(c, suite.versionIn(Api.Produce, 3), topic.name, 0, batch(records));
    if (r.errorCode !== 0 || r.baseOffset !== 0n) throw new Error(`cannot produce the ListOffsets fixture: error ${r.errorCode}, offset ${r.baseOffset}`);
    return { topic, t0 };
  } finally {
    c.close();
  }
}

const earliestLatest: Check = {
  id: 'list-offsets.earliest-latest',
  title: 'earliest (-2) is the log start and latest (-1) the log end',
  apiKey: K,
  versions: 'all',
  tagged: true,
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const earliest = await listOffset(c, v, f.topic.name, 0, -2n);
    expectNoError(earliest.errorCode, 'earliest errorCode');
    expectEqual(earliest.offset, 0n, 'earliest offset');
    const latest = await listOffset(c, v, f.topic.name, 0, -1n);
    expectNoError(latest.errorCode, 'latest errorCode');
    expectEqual(latest.offset, BigInt(COUNT), 'latest offset');
    if (v >= 4) expectEqual(latest.leaderEpoch, f.topic.partitions[0]!.leaderEpoch, 'leaderEpoch');
  },
};

const byTimestamp: Check = {
  id: 'list-offsets.by-timestamp',
  title: 'a timestamp finds the first record at or after it; one after every record finds -1',
  apiKey: K,
  versions: { min: 1 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const mid = await listOffset(c, v, f.topic.name, 0, BigInt(f.t0 + 1.5 * STEP_MS));
    expectNoError(mid.errorCode, 'errorCode');
    expectEqual(mid.offset, 2n, 'offset for a timestamp between records 1 and 2');
    expectEqual(mid.timestamp, BigInt(f.t0 + 2 * STEP_MS), 'timestamp of the record found');
    const exact = await listOffset(c, v, f.topic.name, 0, BigInt(f.t0));
    expectEqual(exact.offset, 0n, 'offset for the first record timestamp');
    const after = await listOffset(c, v, f.topic.name, 0, BigInt(f.t0 + COUNT * STEP_MS));
    expectNoError(after.errorCode, 'errorCode past the last record');
    expectEqual(after.offset, -1n, 'offset past the last record');
  },
};

const maxTimestamp: Check = {
  id: 'list-offsets.max-timestamp',
  title: 'max timestamp (-3) finds the record with the largest timestamp (KIP-734)',
  apiKey: K,
  versions: { min: 7 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const r = await listOffset(c, v, f.topic.name, 0, -3n);
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.offset, BigInt(COUNT - 1), 'offset');
    expectEqual(r.timestamp, BigInt(f.t0 + (COUNT - 1) * STEP_MS), 'timestamp');
  },
};

const earliestLocal: Check = {
  id: 'list-offsets.earliest-local',
  title: 'earliest local (-4) is the log start of an untiered partition (KIP-405)',
  apiKey: K,
  versions: { min: 8 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const r = await listOffset(c, v, f.topic.name, 0, -4n);
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.offset, 0n, 'offset');
  },
};

const readCommitted: Check = {
  id: 'list-offsets.read-committed',
  title: 'latest under read_committed is the last stable offset (the log end without transactions)',
  apiKey: K,
  versions: { min: 2 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const r = await listOffset(c, v, f.topic.name, 0, -1n, { isolationLevel: 1 });
    expectNoError(r.errorCode, 'errorCode');
    expectEqual(r.offset, BigInt(COUNT), 'offset');
  },
};

const unknown: Check = {
  id: 'list-offsets.unknown-partition',
  title: 'an unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: K,
  versions: 'all',
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const missing = await listOffset(c, v, ctx.suite.topicName(`missing-offsets-v${v}`), 0, -1n);
    expectError(missing.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown topic errorCode');
    const bad = await listOffset(c, v, f.topic.name, 99, -1n);
    expectError(bad.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'unknown partition errorCode');
  },
};

const leaderEpoch: Check = {
  id: 'list-offsets.leader-epoch',
  title: 'a newer current leader epoch is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH (KIP-320)',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const epoch = f.topic.partitions[0]!.leaderEpoch;
    if (epoch < 0) skip('Metadata gives no leader epoch (needs v7+)');
    const c = await ctx.leader(f.topic);
    expectNoError((await listOffset(c, v, f.topic.name, 0, -1n, { currentLeaderEpoch: epoch })).errorCode, 'errorCode with the current epoch');
    expectError((await listOffset(c, v, f.topic.name, 0, -1n, { currentLeaderEpoch: epoch + 1 })).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH, `errorCode with epoch ${epoch + 1}`);
    if (epoch > 0) {
      expectError((await listOffset(c, v, f.topic.name, 0, -1n, { currentLeaderEpoch: epoch - 1 })).errorCode, ErrorCode.FENCED_LEADER_EPOCH, `errorCode with epoch ${epoch - 1}`);
    }
  },
};

export const listOffsetsChecks: Check[] = [earliestLatest, byTimestamp, maxTimestamp, earliestLocal, readCommitted, unknown, leaderEpoch];
