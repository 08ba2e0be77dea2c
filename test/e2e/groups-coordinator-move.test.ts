/**
 * A coordinator move, as the group coordinator sees it: the metadata image
 * says another broker leads the group's __consumer_offsets partition, so
 * the partition is unloaded (parked requests get NOT_COORDINATOR, new ones
 * too); when leadership comes back the partition is loaded again from its
 * log and the group carries on where its records left it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from '../../src/controller/metadata-records.js';
import { OFFSETS_TOPIC } from '../../src/group/group-records.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;
const clients: RawClient[] = [];

beforeAll(async () => {
  krill = await startKrill({ config: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3 } });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await krill?.stop();
});

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(krill.bootstrap, { clientId: 'mover' });
  clients.push(c);
  return c;
}

const join = (groupId: string, memberId = '') => ({
  groupId,
  memberId,
  sessionTimeoutMs: 30_000,
  rebalanceTimeoutMs: 30_000,
  protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('m') }],
  groupInstanceId: null,
});

describe('coordinator move', () => {
  it('unloads the partition when leadership moves away and reloads it when it comes back', async () => {
    const a = await client();
    const b = await client();
    await a.request(19, 7, { topics: [{ name: 'moved', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 5000 });
    expect((await a.request(10, 3, { key: 'g-move', keyType: 0 })).errorCode).toBe(0);
    const id = (await a.request(11, 9, join('g-move'))).memberId;
    const joined = await a.request(11, 9, join('g-move', id));
    await a.request(14, 5, { groupId: 'g-move', generationId: 1, memberId: id, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: id, assignment: Buffer.from('x') }] });
    const commit = await a.request(8, 8, {
      groupId: 'g-move',
      generationIdOrMemberEpoch: joined.generationId,
      memberId: id,
      groupInstanceId: null,
      topics: [{ name: 'moved', partitions: [{ partitionIndex: 0, committedOffset: 17n, committedLeaderEpoch: -1, committedMetadata: 'kept' }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(0);
    // B joins and is parked until A rejoins.
    const bId = (await b.request(11, 9, join('g-move'))).memberId;
    const parked = b.request(11, 9, join('g-move', bId));
    await new Promise((r) => setTimeout(r, 50));

    const groups = krill.node.groups;
    const real = krill.node.image();
    const partition = groups.partitionFor('g-move');
    const topicId = real.topic(OFFSETS_TOPIC)!.id;
    const change = decodeMetadataRecord(
      encodeMetadataRecord({ type: 'PartitionChange', data: { topicId, partitionId: partition, leader: krill.node.nodeId + 1 } }),
    ) as MetadataRecord;
    await groups.onImage(real.replay([change], real.offset + 1));

    expect(await parked).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR });
    expect((await a.request(12, 4, { groupId: 'g-move', generationId: 1, memberId: id, groupInstanceId: null })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await a.request(9, 7, { groupId: 'g-move', topics: null, requireStable: false })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(groups.isCoordinatorFor('g-move')).toBe(false);

    await groups.onImage(real);
    expect(groups.isCoordinatorFor('g-move')).toBe(true);
    const fetched = await a.request(9, 7, { groupId: 'g-move', topics: null, requireStable: false });
    expect(fetched.topics[0].partitions[0]).toMatchObject({ committedOffset: 17n, metadata: 'kept' });
    // The group comes back Stable from its last record: A is still the member, B's unpersisted join is gone.
    expect((await a.request(12, 4, { groupId: 'g-move', generationId: 1, memberId: id, groupInstanceId: null })).errorCode).toBe(0);
    const d = await a.request(15, 5, { groups: ['g-move'], includeAuthorizedOperations: false });
    expect(d.groups[0]).toMatchObject({ groupState: 'Stable', members: [{ memberId: id, memberAssignment: Buffer.from('x') }] });
  });
});
