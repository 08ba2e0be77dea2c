/**
 * Client matrix, group and idempotence parts: kcat 1.7.1 (librdkafka 2.0.2).
 * - The balanced consumer (-G) from earliest checks every record, commits
 *   on exit; a second run in the same group gets nothing again, then
 *   exactly the one record produced after.
 * - enable.idempotence=true: records stored once with a producer id.
 * These use the group and InitProducerId APIs; against a broker without
 * them the tests fail (they do not skip).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KCAT_BIG, KCAT_HEADERS, kcat, kcatProduce, parseKcatJson } from './helpers/kcat.js';
import { createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker } from './helpers/matrix.js';

describe('kcat (librdkafka): groups and idempotence', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
  });

  afterAll(async () => {
    if (broker) logVersions('kcat (groups)', broker);
    await broker?.stop();
  });

  const groupRun = async (topic: string, group: string) => {
    const { stdout } = await kcat(['-b', broker.bootstrap, '-G', group, '-X', 'auto.offset.reset=earliest', '-X', `fetch.message.max.bytes=${KCAT_BIG}`, '-e', '-J', topic]);
    return parseKcatJson(stdout);
  };

  it('consumes from earliest in a group, commits, and a second run gets no redelivery', async () => {
    const topic = 'kcat-group';
    const group = 'kcat-matrix-group';
    await createTopic(broker, topic);
    const records = matrixRecords(topic, { sameHeaders: KCAT_HEADERS });
    await kcatProduce(broker.bootstrap, topic, records, 'gzip');
    expectSameRecords(await groupRun(topic, group), records, 'records kcat consumed in a group');
    expect((await groupRun(topic, group)).map((r) => r.offset), 'records redelivered to the second run').toEqual([]);
    await kcatProduce(broker.bootstrap, topic, [{ key: 'after', value: 'reopen', headers: [] }], 'none');
    expect((await groupRun(topic, group)).map((r) => `${r.offset}:${r.key}`)).toEqual([`${records.length}:after`]);
  });

  it('idempotent producer: every record stored once, batches carry a producer id', async () => {
    const topic = 'kcat-idempotent';
    await createTopic(broker, topic);
    const records = matrixRecords(topic, { sameHeaders: KCAT_HEADERS });
    await kcatProduce(broker.bootstrap, topic, records, 'snappy', ['enable.idempotence=true']);
    const stored = await expectStored(broker, topic, records, 'snappy');
    expect([...stored.producerIds].every((id) => id >= 0n), 'producer ids of the stored batches').toBe(true);
  });
});
