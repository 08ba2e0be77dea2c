/**
 * The group (and idempotence) parts of the matrix for a Python client
 * driver: consume in a group from earliest and check every record, commit,
 * reopen the group and get nothing again (the committed offset is where the
 * first consumer stopped), then exactly one new record; and, where the
 * client has one, the idempotent producer. These use the group and
 * InitProducerId APIs; against a broker without them they fail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker } from './matrix.js';
import { runPython, type PyRecord } from './python.js';

export function pythonGroupMatrix(title: string, script: string, client: string, opts: { idempotent: boolean }): void {
  describe(title, () => {
    let broker: MatrixBroker;

    beforeAll(async () => {
      broker = await startMatrixBroker();
    });

    afterAll(async () => {
      if (broker) logVersions(`${client} (groups)`, broker);
      await broker?.stop();
    });

    it('consumes from earliest in a group, commits, and a reopened consumer gets no redelivery', async () => {
      const topic = `${client}-group`;
      const group = `${client}-matrix-group`;
      await createTopic(broker, topic);
      const records = matrixRecords(topic);
      await runPython(script, { op: 'produce', bootstrap: broker.bootstrap, topic, codec: 'gzip', records });
      const first = await runPython<{ records: PyRecord[] }>(script, { op: 'group-consume', bootstrap: broker.bootstrap, topic, group, count: records.length });
      expectSameRecords(first.records, records, `records ${client} consumed in a group`);
      const idle = await runPython<{ records: PyRecord[]; committed: number }>(script, { op: 'group-idle', bootstrap: broker.bootstrap, topic, group, seconds: 3 });
      expect(idle.records.map((r) => r.offset), 'records redelivered to the reopened consumer').toEqual([]);
      expect(idle.committed, 'committed offset').toBe(records.length);
      const after = [{ key: 'after', value: 'reopen', headers: [] }];
      await runPython(script, { op: 'produce', bootstrap: broker.bootstrap, topic, codec: 'none', records: after });
      const next = await runPython<{ records: PyRecord[] }>(script, { op: 'group-consume', bootstrap: broker.bootstrap, topic, group, count: 1 });
      expect(next.records.map((r) => `${r.offset}:${r.key}`)).toEqual([`${records.length}:after`]);
    });

    it.runIf(opts.idempotent)('idempotent producer: every record stored once, batches carry a producer id', async () => {
      const topic = `${client}-idempotent`;
      await createTopic(broker, topic);
      const records = matrixRecords(topic);
      await runPython(script, { op: 'produce', bootstrap: broker.bootstrap, topic, codec: 'lz4', records, idempotent: true });
      const stored = await expectStored(broker, topic, records, 'lz4');
      expect([...stored.producerIds].every((id) => id >= 0n), 'producer ids of the stored batches').toBe(true);
    });
  });
}
