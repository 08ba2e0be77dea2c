/**
 * Semantic scenarios across APIs: per-partition ordering of pipelined
 * produce requests, long-poll fetches that wake on produce and that honour
 * max_wait_ms, a 1 MB record under a raised max.message.bytes.
 */
import { decodeBatch } from '../../protocol/records.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectNoError, expectTrue, fail } from '../assert.js';
import { Api, batch, fetchBatches, fetchPartition, latestOffset, produce, sameBatch, splitBatches, topicRef } from '../ops.js';
import { sleep, type TopicInfo } from '../suite.js';

const PARTITIONS = 3;
const REQUESTS = 30;
const PER_BATCH = 5;

/** Every record value of a partition from offset 0 to its log end, in offset order. */
async function readAll(ctx: Parameters<Check['run']>[0], c: KafkaConnection, topic: TopicInfo, partition: number): Promise<string[]> {
  const end = await latestOffset(ctx.suite, c, topic.name, partition);
  const values: string[] = [];
  let next = 0n;
  while (next < end) {
    const { batches } = await fetchBatches(ctx.suite, c, topic, partition, next);
    if (batches.length === 0) fail(`fetch at ${next} returned nothing below the log end ${end}`);
    for (const b of batches) {
      for (const r of (await decodeBatch(b)).records) {
        if (BigInt(r.offset) < next) continue;
        expectEqual(BigInt(r.offset), next, `partition ${partition} offsets are not contiguous`);
        values.push(r.value?.toString() ?? '');
        next++;
      }
    }
  }
  return values;
}

const ordering: Check = {
  id: 'scenario.ordering',
  title: 'pipelined produce requests over 3 partitions are answered in order and stored in order per partition',
  apiKey: null,
  requires: [Api.Produce, Api.Fetch, Api.ListOffsets, Api.CreateTopics],
  async run(ctx) {
    const topic = await ctx.suite.fixture('ordering', { partitions: PARTITIONS });
    const v = ctx.suite.versionIn(Api.Produce, 3);
    const sent = new Map<number, string[]>();
    const pending: Array<Promise<{ partition: number; baseOffset: bigint; errorCode: number }>> = [];
    for (let i = 0; i < REQUESTS; i++) {
      const partition = i % PARTITIONS;
      const values = Array.from({ length: PER_BATCH }, (_, j) => `p${partition}-r${i}-${j}`);
      sent.set(partition, [...(sent.get(partition) ?? []), ...values]);
      const c = await ctx.leader(topic, partition);
      // Not awaited: the requests are pipelined on the connection.
      pending.push(produce(c, v, topic.name, partition, batch(values.map((value) => ({ key: null, value })))).then((r) => ({ partition, baseOffset: r.baseOffset, errorCode: r.errorCode })));
    }
    const answers = await Promise.all(pending);
    const next = new Map<number, bigint>();
    for (const a of answers) {
      expectNoError(a.errorCode, `partition ${a.partition} errorCode`);
      const want = next.get(a.partition) ?? 0n;
      expectEqual(a.baseOffset, want, `partition ${a.partition} baseOffset (requests stored out of order?)`);
      next.set(a.partition, want + BigInt(PER_BATCH));
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const got = await readAll(ctx, await ctx.leader(topic, p), topic, p);
      const want = sent.get(p)!;
      expectEqual(got.length, want.length, `partition ${p} record count`);
      got.forEach((value, i) => {
        if (value !== want[i]) fail(`partition ${p} record ${i} is ${value}, expected ${want[i]}`);
      });
    }
  },
};

const longPollWakes: Check = {
  id: 'scenario.long-poll-wakes',
  title: 'a fetch waiting at the log end returns as soon as a record is produced',
  apiKey: null,
  requires: [Api.Produce, Api.Fetch, Api.ListOffsets],
  async run(ctx) {
    const topic = await ctx.suite.fixture('long-poll');
    const fv = ctx.suite.versionIn(Api.Fetch, 4);
    const waiter = await ctx.fresh(topic.partitions[0]!.leader);
    const producer = await ctx.leader(topic);
    const end = await latestOffset(ctx.suite, producer, topic.name);
    const started = Date.now();
    const fetching = fetchPartition(waiter, fv, topicRef(topic), 0, end, { maxWaitMs: 10_000, minBytes: 1 });
    await sleep(300);
    const sent = batch([{ key: 'wake', value: 'up' }]);
    const r = await produce(producer, ctx.suite.versionIn(Api.Produce, 3), topic.name, 0, sent);
    expectNoError(r.errorCode, 'produce errorCode');
    const p = await fetching;
    const elapsed = Date.now() - started;
    expectNoError(p.errorCode, 'fetch errorCode');
    const got = splitBatches(p.records);
    expectTrue(got.length === 1, `the woken fetch returned ${got.length} batches`);
    const diff = sameBatch(got[0]!, sent);
    if (diff) fail(`the woken fetch returned another batch: ${diff}`);
    expectTrue(elapsed >= 250, `the fetch returned after ${elapsed} ms, before the record was produced`);
    expectTrue(elapsed < 5000, `the fetch returned after ${elapsed} ms, not woken by the produce`);
  },
};

const longPollTimeout: Check = {
  id: 'scenario.long-poll-timeout',
  title: 'a fetch with nothing to read waits max_wait_ms, then returns empty',
  apiKey: null,
  requires: [Api.Produce, Api.Fetch, Api.ListOffsets],
  async run(ctx) {
    const topic = await ctx.suite.fixture('long-poll-idle');
    const c = await ctx.leader(topic);
    const end = await latestOffset(ctx.suite, c, topic.name);
    const started = Date.now();
    const p = await fetchPartition(c, ctx.suite.versionIn(Api.Fetch, 4), topicRef(topic), 0, end, { maxWaitMs: 600, minBytes: 1 });
    const elapsed = Date.now() - started;
    expectNoError(p.errorCode, 'errorCode');
    expectEqual(p.records?.length ?? 0, 0, 'bytes returned');
    expectTrue(elapsed >= 500, `returned after ${elapsed} ms, before max_wait_ms (600)`);
    expectTrue(elapsed < 5000, `returned after ${elapsed} ms`);
  },
};

const largeRecord: Check = {
  id: 'scenario.large-record',
  title: 'a 1 MB record is stored and fetched intact under max.message.bytes 2 MB',
  apiKey: null,
  requires: [Api.Produce, Api.Fetch, Api.ListOffsets, Api.CreateTopics],
  async run(ctx) {
    const topic = await ctx.suite.fixture('large', { configs: { 'max.message.bytes': String(2 * 1024 * 1024) } });
    const c = await ctx.leader(topic);
    const value = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) & 0xff;
    const sent = batch([{ key: 'big', value }]);
    const r = await produce(c, ctx.suite.versionIn(Api.Produce, 3), topic.name, 0, sent);
    expectNoError(r.errorCode, 'produce errorCode');
    const { batches } = await fetchBatches(ctx.suite, c, topic, 0, r.baseOffset);
    if (!batches[0]) fail('fetch returned no whole batch');
    const diff = sameBatch(batches[0], sent);
    if (diff) fail(`fetched batch differs: ${diff}`);
  },
};

export const scenarioChecks: Check[] = [ordering, longPollWakes, longPollTimeout, largeRecord];
