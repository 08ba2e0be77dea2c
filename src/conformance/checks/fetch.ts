/**
 * Fetch (1), v4+ (record batch v2; older versions would down-convert).
 * Three known batches (plain, gzip, plain) are produced once; every version
 * must return them byte for byte with the right high watermark, last stable
 * offset (v4+) and log start (v5+), start at the batch holding a middle
 * offset, return a whole batch even over partition_max_bytes (KIP-74), and
 * answer the errors Kafka does: unknown topic (by name, or by id from v13),
 * unknown partition, offset out of range, fenced / unknown leader epochs
 * (v9+, KIP-320), unknown fetch session (v7+, KIP-227).
 */
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../api/error-codes.js';
import { CompressionType } from '../../protocol/record-batch.js';
import type { Check } from '../check.js';
import { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail, skip } from '../assert.js';
import { Api, batch, fetchPartition, fetchRaw, produce, sameBatch, sampleRecords, splitBatches, topicRef } from '../ops.js';
import type { CheckContext, Suite, TopicInfo } from '../suite.js';

const K = Api.Fetch;

interface FetchFixture {
  topic: TopicInfo;
  /** The batches as produced, in offset order. */
  sent: Buffer[];
  baseOffsets: bigint[];
  end: bigint;
}

const fixtures = new WeakMap<Suite, Promise<FetchFixture>>();

function fixture(ctx: CheckContext): Promise<FetchFixture> {
  let p = fixtures.get(ctx.suite);
  if (!p) {
    p = build(ctx.suite);
    p.catch(() => fixtures.delete(ctx.suite));
    fixtures.set(ctx.suite, p);
  }
  return p;
}

async function build(suite: Suite): Promise<FetchFixture> {
  const topic = await suite.fixture('fetch');
  const v = suite.versionIn(Api.Produce, 3);
  const sent = [
    batch(sampleRecords('f0', 2)),
    batch(sampleRecords('f1', 3), { compression: CompressionType.Gzip }),
    batch(sampleRecords('f2', 1)),
  ];
  const c = await KafkaConnection.connect(suite.addressOf(topic.partitions[0]!.leader));
  try {
    const baseOffsets: bigint[] = [];
    for (const b of sent) {
      const r = await produce(c, v, topic.name, 0, b);
      if (r.errorCode !== 0) throw new Error(`cannot produce the fetch fixture: error ${r.errorCode}`);
      baseOffsets.push(r.baseOffset);
    }
    return { topic, sent, baseOffsets, end: baseOffsets[2]! + 1n };
  } finally {
    c.close();
  }
}

const readsBack: Check = {
  id: 'fetch.read',
  title: 'returns the produced batches byte for byte with high watermark, LSO and log start',
  apiKey: K,
  versions: { min: 4 },
  tagged: true,
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.baseOffsets[0]!);
    expectNoError(p.errorCode, 'errorCode');
    expectEqual(p.highWatermark, f.end, 'highWatermark');
    expectEqual(p.lastStableOffset, f.end, 'lastStableOffset');
    if (v >= 5) expectEqual(p.logStartOffset, 0n, 'logStartOffset');
    const got = splitBatches(p.records);
    expectEqual(got.length, f.sent.length, 'batches returned');
    got.forEach((b, i) => {
      expectEqual(b.readBigInt64BE(0), f.baseOffsets[i], `batch ${i} baseOffset`);
      const diff = sameBatch(b, f.sent[i]!);
      if (diff) fail(`batch ${i} differs from the produced one: ${diff}`);
    });
  },
};

const fromMiddle: Check = {
  id: 'fetch.from-middle',
  title: 'a fetch from an offset inside a batch starts with that whole batch',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.baseOffsets[1]! + 1n);
    expectNoError(p.errorCode, 'errorCode');
    const got = splitBatches(p.records);
    expectTrue(got.length >= 1, 'no batch returned');
    expectEqual(got[0]!.readBigInt64BE(0), f.baseOffsets[1], 'baseOffset of the first batch');
  },
};

const atEnd: Check = {
  id: 'fetch.at-end',
  title: 'a fetch at the log end returns no records and no error',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.end);
    expectNoError(p.errorCode, 'errorCode');
    expectEqual(p.records?.length ?? 0, 0, 'bytes returned');
    expectEqual(p.highWatermark, f.end, 'highWatermark');
  },
};

const minOneBatch: Check = {
  id: 'fetch.min-one-batch',
  title: 'a whole first batch is returned even over partition_max_bytes and max_bytes (KIP-74)',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    for (const limits of [{ partitionMaxBytes: 1 }, { maxBytes: 1 }]) {
      const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.baseOffsets[0]!, limits);
      expectNoError(p.errorCode, 'errorCode');
      const got = splitBatches(p.records);
      const which = 'partitionMaxBytes' in limits ? 'partition_max_bytes' : 'max_bytes';
      expectTrue(got.length >= 1, `no whole batch returned with ${which} 1`);
      const diff = sameBatch(got[0]!, f.sent[0]!);
      if (diff) fail(`first batch differs with ${which} 1: ${diff}`);
    }
  },
};

const unknownTopic: Check = {
  id: 'fetch.unknown-topic',
  title: 'an unknown topic is UNKNOWN_TOPIC_OR_PARTITION (by name) or UNKNOWN_TOPIC_ID (by id, v13+)',
  apiKey: K,
  versions: { min: 4 },
  async run(ctx, v) {
    const c = await ctx.conn();
    const ref = { name: ctx.suite.topicName(`missing-fetch-v${v}`), id: randomBytes(16).toString('base64url') };
    const res = await fetchRaw(c, v, ref, 0, 0n);
    const p = res.responses[0]?.partitions[0];
    const expected = v >= 13 ? [ErrorCode.UNKNOWN_TOPIC_ID] : [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION];
    if (v >= 7) expectNoError(res.errorCode, 'top-level errorCode');
    expectError(p?.errorCode, expected, 'partition errorCode');
  },
};

const badPartition: Check = {
  id: 'fetch.bad-partition',
  title: 'a partition the topic does not have is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const p = await fetchPartition(c, v, topicRef(f.topic), 99, 0n);
    expectError(p.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode');
  },
};

const outOfRange: Check = {
  id: 'fetch.offset-out-of-range',
  title: 'an offset past the log end is OFFSET_OUT_OF_RANGE',
  apiKey: K,
  versions: { min: 4 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const p = await fetchPartition(c, v, topicRef(f.topic), 0, f.end + 100n);
    expectError(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'errorCode');
    expectEqual(p.records?.length ?? 0, 0, 'bytes returned with the error');
  },
};

const leaderEpoch: Check = {
  id: 'fetch.leader-epoch',
  title: 'the current leader epoch is accepted, a newer one is UNKNOWN_LEADER_EPOCH, an older one FENCED_LEADER_EPOCH (KIP-320)',
  apiKey: K,
  versions: { min: 9 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const epoch = f.topic.partitions[0]!.leaderEpoch;
    if (epoch < 0) skip('Metadata gives no leader epoch (needs v7+)');
    const c = await ctx.leader(f.topic);
    const at = async (e: number): Promise<number> => (await fetchPartition(c, v, topicRef(f.topic), 0, 0n, { currentLeaderEpoch: e })).errorCode;
    expectNoError(await at(epoch), `errorCode with the current epoch ${epoch}`);
    expectError(await at(epoch + 1), ErrorCode.UNKNOWN_LEADER_EPOCH, `errorCode with epoch ${epoch + 1}`);
    if (epoch > 0) expectError(await at(epoch - 1), ErrorCode.FENCED_LEADER_EPOCH, `errorCode with epoch ${epoch - 1}`);
  },
};

const unknownSession: Check = {
  id: 'fetch.unknown-session',
  title: 'an incremental fetch on a session the broker does not have is FETCH_SESSION_ID_NOT_FOUND (KIP-227)',
  apiKey: K,
  versions: { min: 7 },
  requires: [Api.Produce],
  async run(ctx, v) {
    const f = await fixture(ctx);
    const c = await ctx.leader(f.topic);
    const res = await fetchRaw(c, v, topicRef(f.topic), 0, 0n, { sessionId: 0x7ead_beef, sessionEpoch: 5 });
    expectError(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'top-level errorCode');
  },
};

export const fetchChecks: Check[] = [readsBack, fromMiddle, atEnd, minOneBatch, unknownTopic, badPartition, outOfRange, leaderEpoch, unknownSession];
