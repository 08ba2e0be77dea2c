/**
 * A transaction coordinator move, as the coordinator sees it: the metadata
 * image says another broker leads the transactional id's
 * __transaction_state partition, so the partition is unloaded and requests
 * for the id get NOT_COORDINATOR; when leadership comes back the partition
 * is loaded again from its log and the open transaction carries on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../../src/controller/metadata-records.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/txn/txn-topic.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;
let c: RawClient;

beforeAll(async () => {
  krill = await startKrill({ config: { 'transaction.state.log.num.partitions': 3 } });
  c = await RawClient.connect(krill.bootstrap, { clientId: 'txn-mover' });
});

afterAll(async () => {
  c?.close();
  await krill?.stop();
});

describe('transaction coordinator move', () => {
  it('unloads the partition when leadership moves away and resumes the transaction when it comes back', async () => {
    await c.request(19, 7, { topics: [{ name: 'txn-moved', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    expect((await c.request(10, 4, { keyType: 1, coordinatorKeys: ['mv'] })).coordinators[0].errorCode).toBe(0);
    const { producerId: pid } = await c.request(22, 4, { transactionalId: 'mv', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const add = () =>
      c.request(24, 3, { v3AndBelowTransactionalId: 'mv', v3AndBelowProducerId: pid, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: 'txn-moved', partitions: [0] }], transactions: [] });
    expect((await add()).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
    const records = buildBatchSync({ producerId: pid, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ value: 'moved' }] });
    const produced = await c.request(0, 9, { transactionalId: 'mv', acks: -1, timeoutMs: 5000, topicData: [{ name: 'txn-moved', partitionData: [{ index: 0, records }] }] });
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);

    const txns = krill.node.txns;
    const real = krill.node.image();
    const change = decodeMetadataRecord(
      encodeMetadataRecord({ type: 'PartitionChange', data: { topicId: real.topic(TRANSACTION_STATE_TOPIC)!.id, partitionId: txns.partitionFor('mv'), leader: krill.node.nodeId + 1 } }),
    ) as MetadataRecord;
    await txns.onImage(real.replay([change], real.offset + 1));
    expect((await add()).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.request(26, 3, { transactionalId: 'mv', producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await c.request(65, 0, { transactionalIds: ['mv'] })).transactionStates[0].errorCode).toBe(ErrorCode.NOT_COORDINATOR);

    await txns.onImage(real);
    expect((await c.request(65, 0, { transactionalIds: ['mv'] })).transactionStates[0]).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', producerId: pid });
    expect((await c.request(26, 3, { transactionalId: 'mv', producerId: pid, producerEpoch: 0, committed: true })).errorCode).toBe(0);
    for (let i = 0; i < 100 && (await c.request(65, 0, { transactionalIds: ['mv'] })).transactionStates[0].transactionState !== 'CompleteCommit'; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const lo = await c.request(2, 7, { replicaId: -1, isolationLevel: 1, topics: [{ name: 'txn-moved', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    expect(lo.topics[0].partitions[0].offset).toBe(2n);
  });
});
