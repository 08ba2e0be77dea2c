/**
 * Client matrix: kcat 1.7.1 on librdkafka 2.0.2 (Debian kcat). kcat has no
 * admin API, so the admin part is its metadata listing; it sets headers per
 * run, so every record carries the same headers. It produces one record per
 * input line (`key<TAB>value`; a line without the tab has a null key) with
 * every librdkafka codec, and consumes from the beginning with -J (JSON
 * envelope: key, payload, headers). A missing kcat fails the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KCAT_BIG, KCAT_HEADERS, kcat, kcatProduce, parseKcatJson } from './helpers/kcat.js';
import { CODECS, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker } from './helpers/matrix.js';

describe('kcat (librdkafka)', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
    const { stdout } = await kcat(['-V']);
    console.info(`[compat] kcat versions: ${stdout.split('\n').find((l) => l.startsWith('Version')) ?? stdout}`);
  });

  afterAll(async () => {
    if (broker) logVersions('kcat', broker);
    await broker?.stop();
  });

  it('lists a topic and its partitions (-L; kcat has no admin API)', async () => {
    await createTopic(broker, 'kcat-listed', 3);
    const { stdout } = await kcat(['-L', '-J', '-b', broker.bootstrap, '-t', 'kcat-listed']);
    const md = JSON.parse(stdout) as { topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }> }> };
    const t = md.topics.find((x) => x.topic === 'kcat-listed');
    expect(t?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
  });

  for (const codec of CODECS) {
    it(`produces with ${codec} (null key, empty value, headers, 1 MB) and consumes every record from the beginning`, async () => {
      const topic = `kcat-${codec}`;
      await createTopic(broker, topic);
      const records = matrixRecords(`kcat-${codec}`, { sameHeaders: KCAT_HEADERS });
      await kcatProduce(broker.bootstrap, topic, records, codec);
      await expectStored(broker, topic, records, codec);
      const { stdout } = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-X', `fetch.message.max.bytes=${KCAT_BIG}`]);
      const asRecords = parseKcatJson(stdout);
      expect(asRecords.map((m) => m.offset)).toEqual(records.map((_, i) => i));
      expectSameRecords(asRecords, records, 'records kcat consumed');
    });
  }
});
