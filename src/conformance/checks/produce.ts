/**
 * Produce (0). From v3 (record batch v2): a batch is stored byte for byte
 * (only baseOffset and partitionLeaderEpoch are the broker's to set), under
 * every compression codec (zstd from v7, KIP-110), at the offset the
 * response names, and fetched back with the same records. Errors as Kafka
 * gives them: unknown topic or partition, CRC mismatch, a batch over
 * max.message.bytes, bad acks, more than one batch per partition, zstd
 * before v7. v0-2 (message formats 0/1) may be advertised (librdkafka needs
 * v0 listed, KAFKA-18659) but a v2 batch in them must be refused.
 */
import { ErrorCode } from '../../api/error-codes.js';
import { CompressionType } from '../../protocol/record-batch.js';
import { decodeBatch } from '../../protocol/records.js';
import type { Check } from '../check.js';
import { decodeResponseFrame } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail, find, refusal, skip } from '../assert.js';
import { Api, batch, expectRecords, fetchBatches, latestOffset, metadata, produce, sameBatch, sampleRecords } from '../ops.js';
import type { CheckContext, TopicInfo } from '../suite.js';

const K = Api.Produce;
const SMALL_MAX_MESSAGE_BYTES = 1024;

/** Produces `sent` and checks it reads back identically at the offset the broker gave. */
async function roundTrip(ctx: CheckContext, v: number, topic: TopicInfo, compression: CompressionType, tag: string): Promise<void> {
  const c = await ctx.leader(topic);
  const records = sampleRecords(tag, 4);
  const sent = batch(records, { compression });
  const before = await latestOffset(ctx.suite, c, topic.name);
  const r = await produce(c, v, topic.name, 0, sent);
  expectNoError(r.errorCode, 'errorCode');
  expectEqual(r.baseOffset, before, 'baseOffset (the log end before the append)');
  if (v >= 2) expectEqual(r.logAppendTimeMs, -1n, 'logAppendTimeMs of a CreateTime topic');
  if (v >= 5) expectTrue(r.logStartOffset >= 0n && r.logStartOffset <= r.baseOffset, `logStartOffset ${r.logStartOffset}`);
  const { batches } = await fetchBatches(ctx.suite, c, topic, 0, r.baseOffset);
  const stored = batches[0];
  if (!stored) fail('the fetch after produce returned no batch');
  expectEqual(stored.readBigInt64BE(0), r.baseOffset, 'baseOffset of the fetched batch');
  const diff = sameBatch(stored, sent);
  if (diff) fail(`fetched batch differs from the produced one: ${diff}`);
  const decoded = await decodeBatch(stored);
  expectRecords(decoded.records, records, 'fetched records');
  expectEqual(await latestOffset(ctx.suite, c, topic.name), before + BigInt(records.length), 'log end after the append');
}

const roundTripPlain: Check = {
  id: 'produce.round-trip',
  title: 'a batch (null key, empty value, headers) is stored byte for byte at the answered offset',
  apiKey: K,
  versions: { min: 3 },
  tagged: true,
  requires: [Api.Fetch, Api.ListOffsets],
  async run(ctx, v) {
    await roundTrip(ctx, v, await ctx.suite.fixture('produce'), CompressionType.None, `plain-v${v}`);
  },
};

const codecChecks: Check[] = (
  [
    ['gzip', CompressionType.Gzip, 3],
    ['snappy', CompressionType.Snappy, 3],
    ['lz4', CompressionType.Lz4, 3],
    ['zstd', CompressionType.Zstd, 7],
  ] as const
).map(([name, type, min]) => ({
  id: `produce.${name}`,
  title: `a ${name} batch is stored as sent and its records read back`,
  apiKey: K,
  versions: { min },
  requires: [Api.Fetch, Api.ListOffsets],
  async run(ctx, v) {
    await roundTrip(ctx, v, await ctx.suite.fixture('produce'), type, `${name}-v${v}`);
  },
}));

/** A produce that must fail with `expected`, and must not change the log end. */
async function refused(ctx: CheckContext, v: number, topic: TopicInfo, records: Buffer, expected: number, opts: { acks?: number; partition?: number } = {}): Promise<void> {
  const c = await ctx.leader(topic);
  const before = await latestOffset(ctx.suite, c, topic.name);
  const r = await produce(c, v, topic.name, opts.partition ?? 0, records, { acks: opts.acks });
  expectError(r.errorCode, expected, 'errorCode');
  expectEqual(await latestOffset(ctx.suite, c, topic.name), before, 'log end (nothing may be appended)');
}

const unknownTopic: Check = {
  id: 'produce.unknown-topic',
  title: 'a produce to an unknown topic is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: K,
  versions: { min: 3 },
  async run(ctx, v) {
    const c = await ctx.conn();
    const name = ctx.suite.topicName(`missing-produce-v${v}`);
    const r = await produce(c, v, name, 0, batch(sampleRecords('x', 1)));
    expectError(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode');
    const md = await metadata(c, ctx.suite.maxVersion(Api.Metadata), [name], false);
    const t = find(md.topics, (x) => x.name === name, `topic ${name}`);
    expectTrue(t.errorCode !== 0, 'the produce created the topic');
  },
};

const badPartition: Check = {
  id: 'produce.bad-partition',
  title: 'a produce to a partition the topic does not have is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: K,
  versions: { min: 3 },
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('produce');
    const c = await ctx.leader(topic);
    const r = await produce(c, v, topic.name, 99, batch(sampleRecords('x', 1)));
    expectError(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'errorCode');
  },
};

const corruptCrc: Check = {
  id: 'produce.corrupt-crc',
  title: 'a batch whose CRC does not match is CORRUPT_MESSAGE and is not stored',
  apiKey: K,
  versions: { min: 3 },
  requires: [Api.ListOffsets],
  async run(ctx, v) {
    const sent = batch(sampleRecords('crc', 2));
    sent[sent.length - 1]! ^= 0xff;
    await refused(ctx, v, await ctx.suite.fixture('produce'), sent, ErrorCode.CORRUPT_MESSAGE);
  },
};

const tooLarge: Check = {
  id: 'produce.too-large',
  title: 'a batch over the topic max.message.bytes is MESSAGE_TOO_LARGE',
  apiKey: K,
  versions: { min: 3 },
  requires: [Api.CreateTopics, Api.ListOffsets],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('produce-small', { configs: { 'max.message.bytes': String(SMALL_MAX_MESSAGE_BYTES) } });
    const sent = batch([{ key: 'big', value: Buffer.alloc(4 * SMALL_MAX_MESSAGE_BYTES, 7) }]);
    await refused(ctx, v, topic, sent, ErrorCode.MESSAGE_TOO_LARGE);
  },
};

const invalidAcks: Check = {
  id: 'produce.invalid-acks',
  title: 'acks other than -1, 0, 1 is INVALID_REQUIRED_ACKS',
  apiKey: K,
  versions: { min: 3 },
  requires: [Api.ListOffsets],
  async run(ctx, v) {
    await refused(ctx, v, await ctx.suite.fixture('produce'), batch(sampleRecords('acks', 1)), ErrorCode.INVALID_REQUIRED_ACKS, { acks: 2 });
  },
};

const oneBatch: Check = {
  id: 'produce.one-batch-per-partition',
  title: 'two batches for one partition in one request are INVALID_RECORD',
  apiKey: K,
  versions: { min: 3 },
  requires: [Api.ListOffsets],
  async run(ctx, v) {
    const two = Buffer.concat([batch(sampleRecords('b1', 1)), batch(sampleRecords('b2', 1))]);
    await refused(ctx, v, await ctx.suite.fixture('produce'), two, ErrorCode.INVALID_RECORD);
  },
};

const zstdTooEarly: Check = {
  id: 'produce.zstd-before-v7',
  title: 'a zstd batch in Produce v3-6 is UNSUPPORTED_COMPRESSION_TYPE (KIP-110)',
  apiKey: K,
  versions: { min: 3, max: 6 },
  requires: [Api.ListOffsets],
  async run(ctx, v) {
    const sent = batch(sampleRecords('zstd-old', 2), { compression: CompressionType.Zstd });
    await refused(ctx, v, await ctx.suite.fixture('produce'), sent, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
  },
};

/** Answers a v2 batch in Produce v0-2 may get: a closed connection or one of these errors. */
const LEGACY_REFUSALS = [ErrorCode.UNSUPPORTED_VERSION, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, ErrorCode.INVALID_RECORD, ErrorCode.CORRUPT_MESSAGE];

const legacyVersions: Check = {
  id: 'produce.legacy-versions',
  title: 'Produce v0-2 (message format 0/1) carrying a v2 batch is refused, nothing stored',
  apiKey: K,
  versions: { max: 2 },
  requires: [Api.ListOffsets],
  async run(ctx, v) {
    const topic = await ctx.suite.fixture('produce');
    const probe = await ctx.leader(topic);
    const before = await latestOffset(ctx.suite, probe, topic.name);
    const c = await ctx.fresh(topic.partitions[0]!.leader);
    const correlationId = c.nextCorrelationId();
    const frame = c.frame(K, v, { acks: 1, timeoutMs: 5000, topicData: [{ name: topic.name, partitionData: [{ index: 0, records: batch(sampleRecords('legacy', 1)) }] }] }, { correlationId });
    const wait = c.nextFrame();
    c.writeRaw(frame);
    const outcome = await refusal(wait);
    if (outcome.kind === 'answered') {
      const res = decodeResponseFrame(K, v, outcome.frame, correlationId);
      const p = res.responses[0]?.partitionResponses[0];
      expectError(p?.errorCode, LEGACY_REFUSALS, 'errorCode');
    }
    expectEqual(await latestOffset(ctx.suite, probe, topic.name), before, 'log end (nothing may be appended)');
  },
};

const multiPartition: Check = {
  id: 'produce.multi-partition',
  title: 'one request for two partitions answers each, in order, with its own offset',
  apiKey: K,
  requires: [Api.ListOffsets],
  async run(ctx) {
    const v = ctx.suite.versionIn(K, 3);
    const topic = await ctx.suite.fixture('produce-two', { partitions: 2 });
    if (topic.partitions[0]!.leader !== topic.partitions[1]!.leader) skip('the two partitions have different leaders');
    const c = await ctx.leader(topic);
    const before = [await latestOffset(ctx.suite, c, topic.name, 0), await latestOffset(ctx.suite, c, topic.name, 1)];
    const res = await c.request(K, v, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 10_000,
      topicData: [{ name: topic.name, partitionData: [0, 1].map((index) => ({ index, records: batch(sampleRecords(`mp${index}`, index + 1)) })) }],
    });
    const t = find(res.responses, (x) => x.name === topic.name, `topic ${topic.name}`);
    for (const index of [0, 1]) {
      const p = find(t.partitionResponses, (x) => x.index === index, `partition ${index}`);
      expectNoError(p.errorCode, `partition ${index} errorCode`);
      expectEqual(p.baseOffset, before[index], `partition ${index} baseOffset`);
      expectEqual(await latestOffset(ctx.suite, c, topic.name, index), before[index]! + BigInt(index + 1), `partition ${index} log end`);
    }
  },
};

const acksZeroAndOne: Check = {
  id: 'produce.acks',
  title: 'acks=1 is answered after the append; acks=0 gets no response and the next request is answered in order',
  apiKey: K,
  requires: [Api.ListOffsets],
  async run(ctx) {
    const v = ctx.suite.versionIn(K, 3);
    const topic = await ctx.suite.fixture('produce');
    const c = await ctx.leader(topic);
    const before = await latestOffset(ctx.suite, c, topic.name);
    const r = await produce(c, v, topic.name, 0, batch(sampleRecords('acks1', 2)), { acks: 1 });
    expectNoError(r.errorCode, 'acks=1 errorCode');
    expectEqual(r.baseOffset, before, 'acks=1 baseOffset');
    c.send(K, v, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: topic.name, partitionData: [{ index: 0, records: batch(sampleRecords('acks0', 1)) }] }] });
    // If the broker answered the acks=0 request, this response would carry the wrong correlation id.
    const end = await latestOffset(ctx.suite, c, topic.name);
    expectEqual(end, before + 3n, 'log end after acks=1 (2 records) and acks=0 (1 record)');
  },
};

export const produceChecks: Check[] = [
  roundTripPlain,
  ...codecChecks,
  unknownTopic,
  badPartition,
  corruptCrc,
  tooLarge,
  invalidAcks,
  oneBatch,
  zstdTooEarly,
  legacyVersions,
  multiPartition,
  acksZeroAndOne,
];
