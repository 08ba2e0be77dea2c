/**
 * Group APIs at the wire level, exact versions through Krill's own codec:
 * the protocol round trips (MEMBER_ID_REQUIRED, join/sync, batched
 * FindCoordinator, multi-group OffsetFetch) and Kafka's error codes for bad
 * input, with Kafka's default session timeout bounds (6000-1800000 ms).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { partitionFor } from '../../src/group/partition-for.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;
const clients: RawClient[] = [];
const PARTITIONS = 5;

beforeAll(async () => {
  krill = await startKrill({ config: { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': PARTITIONS } });
  const c = await client();
  await c.request(19, 7, { topics: [{ name: 'topic-a', numPartitions: 2, replicationFactor: 1 }], timeoutMs: 5000 });
});

afterAll(async () => {
  for (const c of clients) c.close();
  await krill?.stop();
});

async function client(): Promise<RawClient> {
  const c = await RawClient.connect(krill.bootstrap, { clientId: 'raw-test' });
  clients.push(c);
  return c;
}

const PROTOCOLS = [{ name: 'range', metadata: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) }];

function joinBody(groupId: string, memberId = '', extra: Record<string, unknown> = {}) {
  return { groupId, memberId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer', protocols: PROTOCOLS, groupInstanceId: null, ...extra };
}

/** A dynamic member through the v4+ MEMBER_ID_REQUIRED round trip, then synced as leader; returns its id and generation. */
async function joinAndSync(c: RawClient, groupId: string): Promise<{ memberId: string; generationId: number }> {
  const first = await c.request(11, 9, joinBody(groupId));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(first.memberId).toMatch(/^raw-test-/);
  const joined = await c.request(11, 9, joinBody(groupId, first.memberId));
  expect(joined.errorCode).toBe(0);
  const sync = await c.request(14, 5, {
    groupId,
    generationId: joined.generationId,
    memberId: joined.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: joined.memberId, assignment: Buffer.from('A') }],
  });
  expect(sync).toMatchObject({ errorCode: 0, protocolType: 'consumer', protocolName: 'range', assignment: Buffer.from('A') });
  return { memberId: joined.memberId, generationId: joined.generationId };
}

describe('group APIs on the wire', () => {
  it('FindCoordinator creates __consumer_offsets and answers every version, batched from v4', async () => {
    const c = await client();
    const v0 = await c.request(10, 0, { key: 'g-find' });
    const [host, port] = krill.bootstrap.split(':');
    expect(v0).toMatchObject({ errorCode: 0, nodeId: krill.node.nodeId, host, port: Number(port) });
    const v3 = await c.request(10, 3, { key: 'g-find', keyType: 0 });
    expect(v3).toMatchObject({ errorCode: 0, errorMessage: null, nodeId: krill.node.nodeId });
    const v4 = await c.request(10, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
    expect(v4.coordinators.map((x) => [x.key, x.errorCode, x.port])).toEqual([
      ['a', 0, Number(port)],
      ['b', 0, Number(port)],
    ]);
    // TRANSACTION keys resolve too (transaction coordinator, issue 5).
    expect((await c.request(10, 4, { keyType: 1, coordinatorKeys: ['txn'] })).coordinators[0]).toMatchObject({ errorCode: 0, port: Number(port) });
    expect((await c.request(10, 6, { keyType: 7, coordinatorKeys: ['x'] })).coordinators[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const md = await c.request(3, 12, { topics: [{ name: '__consumer_offsets' }], allowAutoTopicCreation: false });
    expect(md.topics[0]).toMatchObject({ errorCode: 0, isInternal: true });
    expect(md.topics[0].partitions).toHaveLength(PARTITIONS);
    const cfg = await c.request(32, 4, { resources: [{ resourceType: 2, resourceName: '__consumer_offsets', configurationKeys: ['cleanup.policy'] }] });
    expect(cfg.results[0].configs[0].value).toBe('compact');
    expect(krill.node.groups.partitionFor('g-find')).toBe(partitionFor('g-find', PARTITIONS));
  });

  it('joins, syncs and heartbeats through MEMBER_ID_REQUIRED', async () => {
    const c = await client();
    const { memberId, generationId } = await joinAndSync(c, 'g-basic');
    expect(generationId).toBe(1);
    expect((await c.request(12, 4, { groupId: 'g-basic', generationId, memberId, groupInstanceId: null })).errorCode).toBe(0);
    const d = await c.request(15, 5, { groups: ['g-basic', 'g-none'], includeAuthorizedOperations: true });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.groups[0].members[0]).toMatchObject({ memberId, clientId: 'raw-test', clientHost: '/127.0.0.1', memberAssignment: Buffer.from('A') });
    expect(d.groups[0].authorizedOperations).toBeGreaterThan(0);
    expect(d.groups[1]).toMatchObject({ errorCode: 0, groupId: 'g-none', groupState: 'Dead' });
  });

  it('INVALID_SESSION_TIMEOUT outside group.min/max.session.timeout.ms (6000/1800000 by default)', async () => {
    const c = await client();
    for (const sessionTimeoutMs of [5999, 1_800_001]) {
      const r = await c.request(11, 5, joinBody('g-session', '', { sessionTimeoutMs }));
      expect(r.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    }
    const ok = await c.request(11, 5, joinBody('g-session', '', { sessionTimeoutMs: 6000 }));
    expect(ok.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  });

  it('UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION and INVALID_GROUP_ID', async () => {
    const c = await client();
    const { memberId, generationId } = await joinAndSync(c, 'g-fence');
    expect((await c.request(12, 4, { groupId: 'g-fence', generationId, memberId: 'nobody', groupInstanceId: null })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.request(12, 0, { groupId: 'g-missing', generationId: 1, memberId })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.request(11, 9, joinBody('g-fence', 'nobody'))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await c.request(12, 4, { groupId: 'g-fence', generationId: generationId + 1, memberId, groupInstanceId: null })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const sync = await c.request(14, 3, { groupId: 'g-fence', generationId: 0, memberId, groupInstanceId: null, assignments: [] });
    expect(sync.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    const commit = await c.request(8, 8, {
      groupId: 'g-fence',
      generationIdOrMemberEpoch: generationId - 1,
      memberId,
      groupInstanceId: null,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await c.request(11, 5, joinBody(''))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await c.request(12, 4, { groupId: '', generationId: 1, memberId, groupInstanceId: null })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  });

  it('REBALANCE_IN_PROGRESS for members that must rejoin when another member joins', async () => {
    const a = await client();
    const b = await client();
    const { memberId: aId, generationId } = await joinAndSync(a, 'g-rebalance');
    const bFirst = await b.request(11, 9, joinBody('g-rebalance'));
    const bJoin = b.request(11, 9, joinBody('g-rebalance', bFirst.memberId)); // parked until A rejoins
    await new Promise((r) => setTimeout(r, 50));
    expect((await a.request(12, 4, { groupId: 'g-rebalance', generationId, memberId: aId, groupInstanceId: null })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const lg = await a.request(16, 4, { statesFilter: ['PreparingRebalance'] });
    expect(lg.groups.map((g) => g.groupId)).toContain('g-rebalance');
    const aJoin = await a.request(11, 9, joinBody('g-rebalance', aId));
    const bJoined = await bJoin;
    expect(aJoin).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: aId });
    expect(aJoin.members.map((m) => m.memberId).sort()).toEqual([aId, bFirst.memberId].sort());
    expect(bJoined).toMatchObject({ errorCode: 0, generationId: generationId + 1, leader: aId, members: [] });
    // A commit now, before the leader's assignment is stored, is REBALANCE_IN_PROGRESS.
    const commit = await a.request(8, 8, {
      groupId: 'g-rebalance',
      generationIdOrMemberEpoch: generationId + 1,
      memberId: aId,
      groupInstanceId: null,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics[0].partitions[0].errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('FENCED_INSTANCE_ID for the old member id of a static member that rejoined', async () => {
    const c = await client();
    const first = await c.request(11, 5, joinBody('g-static', '', { groupInstanceId: 'instance-1' }));
    expect(first.errorCode).toBe(0); // static members skip MEMBER_ID_REQUIRED
    expect(first.memberId).toMatch(/^instance-1-/);
    await c.request(14, 5, { groupId: 'g-static', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'instance-1', protocolType: 'consumer', protocolName: 'range', assignments: [] });
    const again = await c.request(11, 5, joinBody('g-static', '', { groupInstanceId: 'instance-1' }));
    expect(again).toMatchObject({ errorCode: 0, generationId: first.generationId });
    expect(again.memberId).not.toBe(first.memberId);
    const hb = await c.request(12, 4, { groupId: 'g-static', generationId: first.generationId, memberId: first.memberId, groupInstanceId: 'instance-1' });
    expect(hb.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const leave = await c.request(13, 5, { groupId: 'g-static', members: [{ memberId: first.memberId, groupInstanceId: 'instance-1', reason: null }] });
    expect(leave).toMatchObject({ errorCode: 0, members: [{ memberId: first.memberId, errorCode: ErrorCode.FENCED_INSTANCE_ID }] });
  });

  it('INCONSISTENT_GROUP_PROTOCOL for another protocol type, and for v5 syncs without protocol names', async () => {
    const c = await client();
    const { memberId, generationId } = await joinAndSync(c, 'g-proto');
    expect((await c.request(11, 5, joinBody('g-proto', '', { protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const sync = await c.request(14, 5, { groupId: 'g-proto', generationId, memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it('standalone commits, OFFSET_METADATA_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION and multi-group OffsetFetch', async () => {
    const c = await client();
    const commit = await c.request(8, 2, {
      groupId: 'g-simple',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'topic-a',
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedMetadata: 'hello' },
            { partitionIndex: 1, committedOffset: 7n, committedMetadata: 'x'.repeat(4097) },
            { partitionIndex: 9, committedOffset: 7n, committedMetadata: null },
          ],
        },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
      ],
    });
    expect(commit.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([
      [0, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const v1 = await c.request(9, 1, { groupId: 'g-simple', topics: [{ name: 'topic-a', partitionIndexes: [0, 1] }] });
    expect(v1.topics[0].partitions.map((p) => [p.committedOffset, p.metadata, p.errorCode])).toEqual([
      [42n, 'hello', 0],
      [-1n, '', 0],
    ]);
    const all = await c.request(9, 7, { groupId: 'g-simple', topics: null, requireStable: true });
    expect(all).toMatchObject({ errorCode: 0, topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 42n }] }] });
    const multi = await c.request(9, 8, {
      groups: [
        { groupId: 'g-simple', topics: [{ name: 'topic-a', partitionIndexes: [0] }] },
        { groupId: 'g-nobody', topics: null },
      ],
      requireStable: false,
    });
    expect(multi.groups.map((g) => [g.groupId, g.errorCode, g.topics.flatMap((t) => t.partitions.map((p) => p.committedOffset))])).toEqual([
      ['g-simple', 0, [42n]],
      ['g-nobody', 0, []],
    ]);
  });

  it('GROUP_ID_NOT_FOUND and NON_EMPTY_GROUP for deletions; a v9 commit with a generation to no group', async () => {
    const c = await client();
    await joinAndSync(c, 'g-busy');
    await c.request(8, 8, {
      groupId: 'g-idle',
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    const del = await c.request(42, 2, { groupsNames: ['g-busy', 'g-idle', 'g-ghost'] });
    expect(del.results.map((r) => [r.groupId, r.errorCode])).toEqual([
      ['g-busy', ErrorCode.NON_EMPTY_GROUP],
      ['g-idle', 0],
      ['g-ghost', ErrorCode.GROUP_ID_NOT_FOUND],
    ]);
    const fetched = await c.request(9, 6, { groupId: 'g-idle', topics: [{ name: 'topic-a', partitionIndexes: [0] }] });
    expect(fetched.topics[0].partitions[0].committedOffset).toBe(-1n);
    expect((await c.request(47, 0, { groupId: 'g-ghost', topics: [] })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const v9 = await c.request(8, 9, {
      groupId: 'g-ghost',
      generationIdOrMemberEpoch: 4,
      memberId: 'm',
      groupInstanceId: null,
      topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(v9.topics[0].partitions[0].errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it('OffsetDelete refuses subscribed topics of a consumer group, deletes the rest', async () => {
    const c = await client();
    // Consumer protocol subscription v0 to topic-a.
    const sub = Buffer.concat([Buffer.from([0, 0, 0, 0, 0, 1, 0, 7]), Buffer.from('topic-a'), Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    const first = await c.request(11, 9, { ...joinBody('g-od'), protocols: [{ name: 'range', metadata: sub }] });
    const joined = await c.request(11, 9, { ...joinBody('g-od', first.memberId), protocols: [{ name: 'range', metadata: sub }] });
    await c.request(14, 5, { groupId: 'g-od', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [] });
    const res = await c.request(47, 0, { groupId: 'g-od', topics: [{ name: 'topic-a', partitions: [{ partitionIndex: 0 }] }, { name: 'nope', partitions: [{ partitionIndex: 0 }] }] });
    expect(res.errorCode).toBe(0);
    expect(res.topics.map((t) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['topic-a', ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
  });

  it('LeaveGroup v0 and batched v3+, ListGroups with filters', async () => {
    const a = await client();
    const b = await client();
    const { memberId } = await joinAndSync(a, 'g-leave');
    const v0 = await b.request(13, 0, { groupId: 'g-leave', memberId: 'nobody' });
    expect(v0.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const batch = await b.request(13, 4, {
      groupId: 'g-leave',
      members: [
        { memberId, groupInstanceId: null },
        { memberId: 'nobody', groupInstanceId: null },
      ],
    });
    expect(batch.errorCode).toBe(0);
    expect(batch.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    const missing = await b.request(13, 4, { groupId: 'g-never', members: [{ memberId: 'x', groupInstanceId: null }] });
    expect(missing.members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const lg = await b.request(16, 5, { statesFilter: ['empty'], typesFilter: ['classic'] });
    expect(lg.errorCode).toBe(0);
    expect(lg.groups.find((g) => g.groupId === 'g-leave')).toMatchObject({ groupState: 'Empty', protocolType: 'consumer', groupType: 'classic' });
    expect(lg.groups.every((g) => g.groupState === 'Empty')).toBe(true);
    const all = await b.request(16, 0, {});
    expect(all.groups.map((g) => g.groupId)).toEqual(expect.arrayContaining(['g-leave', 'g-basic', 'g-simple']));
  });
});
