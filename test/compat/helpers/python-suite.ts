/**
 * The matrix for a Python client driver: admin create / describe / delete,
 * then per codec: produce the matrix records with the client, check what
 * Krill stored (records and codec), and consume from earliest with the
 * client (by assignment, no group) and check every record. The group and
 * idempotence parts live in the *-groups.test.ts files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODECS, MAX_MESSAGE_BYTES, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker } from './matrix.js';
import { runPython, type PyRecord } from './python.js';

export function pythonClientMatrix(title: string, script: string, client: string): void {
  describe(title, () => {
    let broker: MatrixBroker;

    beforeAll(async () => {
      broker = await startMatrixBroker();
      const v = await runPython<Record<string, string>>(script, { op: 'versions' });
      console.info(`[compat] ${client} versions: ${JSON.stringify(v)}`);
    });

    afterAll(async () => {
      if (broker) logVersions(client, broker);
      await broker?.stop();
    });

    it('admin: creates a topic with a config, describes it, deletes it', async () => {
      const topic = `${client}-admin`;
      const r = await runPython<{ partitions: number; maxMessageBytes: string; listedAfterDelete: boolean }>(script, {
        op: 'admin',
        bootstrap: broker.bootstrap,
        topic,
        maxMessageBytes: MAX_MESSAGE_BYTES,
      });
      expect(r).toEqual({ partitions: 2, maxMessageBytes: String(MAX_MESSAGE_BYTES), listedAfterDelete: false });
    });

    for (const codec of CODECS) {
      it(`produces with ${codec} (null key, empty value, headers, 1 MB) and consumes every record from earliest`, async () => {
        const topic = `${client}-${codec}`;
        await createTopic(broker, topic);
        const records = matrixRecords(`${client}-${codec}`);
        await runPython(script, { op: 'produce', bootstrap: broker.bootstrap, topic, codec, records });
        await expectStored(broker, topic, records, codec);
        const got = await runPython<{ records: PyRecord[] }>(script, { op: 'consume', bootstrap: broker.bootstrap, topic, count: records.length });
        expect(got.records.map((r) => r.offset)).toEqual(records.map((_, i) => i));
        expectSameRecords(got.records, records, `records ${client} consumed`);
      });
    }
  });
}
