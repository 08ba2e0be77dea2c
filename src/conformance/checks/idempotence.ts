/**
 * Idempotent producers (KIP-98): InitProducerId (22) without a
 * transactional id hands out a fresh producer id; a retried batch (same
 * producer id, epoch and sequence) is answered with its original offset and
 * stored once; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER; a new epoch
 * starting at sequence 0 is accepted, after which the old epoch is
 * INVALID_PRODUCER_EPOCH. Runs only when InitProducerId is advertised.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { RecordInput } from '../../protocol/records.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, expectTrue } from '../assert.js';
import { Api, batch, latestOffset, produce } from '../ops.js';

async function initProducerId(c: KafkaConnection, v: number) {
  return c.request(Api.InitProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
}

const initId: Check = {
  id: 'init-producer-id.idempotent',
  title: 'hands out a new producer id (epoch 0 or more) to each idempotent producer',
  apiKey: Api.InitProducerId,
  versions: 'all',
  tagged: true,
  async run(ctx, v) {
    const c = await ctx.conn();
    const a = await initProducerId(c, v);
    const b = await initProducerId(c, v);
    expectNoError(a.errorCode, 'errorCode');
    expectNoError(b.errorCode, 'second errorCode');
    expectTrue(a.producerId >= 0n && a.producerEpoch >= 0, `producer id ${a.producerId}, epoch ${a.producerEpoch}`);
    expectTrue(a.producerId !== b.producerId, 'two producers got the same id');
  },
};

const records = (tag: string, n: number): RecordInput[] => Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-value-${i}` }));

const dedupe: Check = {
  id: 'scenario.idempotent-produce',
  title: 'a retried batch keeps its offset and is stored once; gaps and old epochs are refused',
  apiKey: null,
  requires: [Api.InitProducerId, Api.Produce, Api.ListOffsets],
  async run(ctx) {
    const topic = await ctx.suite.fixture('idempotent');
    const c = await ctx.leader(topic);
    const pv = ctx.suite.versionIn(Api.Produce, 3);
    const init = await initProducerId(c, ctx.suite.maxVersion(Api.InitProducerId));
    expectNoError(init.errorCode, 'InitProducerId errorCode');
    const pid = init.producerId;
    const epoch = init.producerEpoch;
    const at = (e: number, seq: number, rs: RecordInput[]) => batch(rs, { producerId: pid, producerEpoch: e, baseSequence: seq });
    const start = await latestOffset(ctx.suite, c, topic.name);
    const first = at(epoch, 0, records('a', 3));
    const r1 = await produce(c, pv, topic.name, 0, first);
    expectNoError(r1.errorCode, 'first batch errorCode');
    expectEqual(r1.baseOffset, start, 'first batch offset');
    const r2 = await produce(c, pv, topic.name, 0, at(epoch, 3, records('b', 2)));
    expectNoError(r2.errorCode, 'second batch errorCode');
    expectEqual(r2.baseOffset, start + 3n, 'second batch offset');
    const retry = await produce(c, pv, topic.name, 0, first);
    expectNoError(retry.errorCode, 'retried batch errorCode');
    expectEqual(retry.baseOffset, start, 'retried batch offset (the original one)');
    expectEqual(await latestOffset(ctx.suite, c, topic.name), start + 5n, 'log end after the retry (stored once)');
    const gap = await produce(c, pv, topic.name, 0, at(epoch, 10, records('gap', 1)));
    expectError(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, 'errorCode for a sequence gap');
    const bumped = await produce(c, pv, topic.name, 0, at(epoch + 1, 0, records('c', 1)));
    expectNoError(bumped.errorCode, 'errorCode for a new epoch at sequence 0');
    const old = await produce(c, pv, topic.name, 0, at(epoch, 5, records('old', 1)));
    expectError(old.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH, 'errorCode for the old epoch');
    expectEqual(await latestOffset(ctx.suite, c, topic.name), start + 6n, 'log end (refused batches not stored)');
  },
};

export const idempotenceChecks: Check[] = [initId, dedupe];
