/** Offset commits, fetches, deletes, expiry and group deletion on the pure shard. */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/api/error-codes.js';
import { Writer } from '../../../src/protocol/primitives/index.js';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.js';
import type { OffsetCommitRequest } from '../../../src/protocol/generated/offset-commit-request.js';
import { ShardHarness } from './shard-harness.js';

const G = 'g';
const exists = (_topic: string, _partition: number): boolean => true;

function commitRequest(over: Partial<OffsetCommitRequest>, partitions: Array<[string, number, bigint, string?]>): OffsetCommitRequest {
  const byTopic = new Map<string, OffsetCommitRequest['topics'][number]['partitions']>();
  for (const [t, p, offset, metadata] of partitions) {
    byTopic.set(t, [
      ...(byTopic.get(t) ?? []),
      { partitionIndex: p, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: metadata ?? null },
    ]);
  }
  return {
    groupId: G,
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, ps]) => ({ name, partitions: ps })),
    ...over,
  };
}

function commit(h: ShardHarness, req: OffsetCommitRequest, apiVersion = 8, partitionExists = exists) {
  return h.run((s, op) => s.commitOffsets(op, { request: req, apiVersion, partitionExists }));
}

const errorsOf = (topics: ReturnType<typeof commit>): number[] => topics.flatMap((t) => (t.partitions ?? []).map((p) => p.errorCode as number));

function subscription(...topics: string[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics, userData: null });
  return w.toBuffer();
}

/** One consumer-protocol member subscribed to "t1", Stable at generation 1. */
function consumerGroup(h: ShardHarness): string {
  const j = h.joinNew(G, { protocols: [{ name: 'range', metadata: subscription('t1') }] });
  h.advance(0);
  const id = j.response!.memberId as string;
  h.sync({ groupId: G, memberId: id, generationId: 1, assignments: [{ memberId: id, assignment: Buffer.from('x') }] });
  return id;
}

describe('offset commits', () => {
  it('lets a standalone consumer commit without joining, and fetches what it committed', () => {
    const h = new ShardHarness().start();
    expect(errorsOf(commit(h, commitRequest({}, [['t1', 0, 10n, 'meta'], ['t1', 1, 20n], ['t2', 0, 5n]])))).toEqual([0, 0, 0]);
    expect(h.group(G).state).toBe('Empty');
    expect(h.group(G).protocolType).toBeNull();
    const fetched = h.shard.fetchOffsets(G, [{ name: 't1', partitionIndexes: [0, 1, 2] }]);
    expect(fetched).toEqual([
      {
        name: 't1',
        partitions: [
          { partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: -1, metadata: 'meta', errorCode: 0 },
          { partitionIndex: 1, committedOffset: 20n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ]);
    const all = h.shard.fetchOffsets(G, null);
    expect(all.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([
      ['t1', [10n, 20n]],
      ['t2', [5n]],
    ]);
    expect(h.shard.fetchOffsets('unknown', [{ name: 't1', partitionIndexes: [0] }])[0].partitions[0].committedOffset).toBe(-1n);
  });

  it('answers per partition for unknown partitions and oversized metadata', () => {
    const h = new ShardHarness({ offsetMetadataMaxBytes: 4 }).start();
    const res = commit(h, commitRequest({}, [['t1', 0, 1n, 'ok'], ['t1', 1, 1n, 'too long'], ['nope', 0, 1n]]), 8, (t) => t === 't1');
    expect(errorsOf(res)).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(h.log).toHaveLength(1);
  });

  it('rejects commits with a generation to a group that does not exist (ILLEGAL_GENERATION, v9: GROUP_ID_NOT_FOUND)', () => {
    const h = new ShardHarness().start();
    expect(() => commit(h, commitRequest({ generationIdOrMemberEpoch: 3, memberId: 'm' }, [['t1', 0, 1n]]))).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.ILLEGAL_GENERATION }),
    );
    expect(() => commit(h, commitRequest({ generationIdOrMemberEpoch: 3, memberId: 'm' }, [['t1', 0, 1n]]), 9)).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND }),
    );
    expect(h.shard.groups.has(G)).toBe(false);
  });

  it('fences members of a classic group by member id, generation and rebalance state', () => {
    const h = new ShardHarness().start();
    const id = consumerGroup(h);
    const c = (over: Partial<OffsetCommitRequest>) => () => commit(h, commitRequest(over, [['t1', 0, 7n]]));
    expect(c({ generationIdOrMemberEpoch: 1, memberId: id })()).toBeDefined();
    expect(c({ generationIdOrMemberEpoch: 0, memberId: id })).toThrow(expect.objectContaining({ errorCode: ErrorCode.ILLEGAL_GENERATION }));
    expect(c({ generationIdOrMemberEpoch: 1, memberId: 'ghost' })).toThrow(expect.objectContaining({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID }));
    expect(c({ generationIdOrMemberEpoch: 1, memberId: id, groupInstanceId: 'i9' })).toThrow(
      expect.objectContaining({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID }),
    );
    // A standalone commit into a group with members is refused.
    expect(c({})).toThrow(expect.objectContaining({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID }));
    // PreparingRebalance: the old generation may still commit (eager members commit before rejoining).
    h.joinNew(G, { protocols: [{ name: 'range', metadata: subscription('t1') }] });
    expect(h.group(G).state).toBe('PreparingRebalance');
    expect(errorsOf(c({ generationIdOrMemberEpoch: 1, memberId: id })())).toEqual([0]);
    h.join({ groupId: G, memberId: id, protocols: [{ name: 'range', metadata: subscription('t1') }] });
    expect(h.group(G).state).toBe('CompletingRebalance');
    expect(c({ generationIdOrMemberEpoch: 2, memberId: id })).toThrow(expect.objectContaining({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS }));
  });

  it('stores a v2-4 retention time as an explicit expire timestamp, and expires it', () => {
    const h = new ShardHarness().start();
    commit(h, commitRequest({ retentionTimeMs: 60_000n }, [['t1', 0, 1n]]), 4);
    const rec = h.log.at(-1)!;
    expect(rec.kind === 'offset' && rec.value?.expireTimestamp).toBe(BigInt(h.now + 60_000));
    h.now += 59_999;
    h.run((s, op) => s.expireOffsets(op));
    expect(h.shard.offsets.get(G, 't1', 0)).toBeDefined();
    h.now += 1;
    h.run((s, op) => s.expireOffsets(op));
    expect(h.shard.offsets.get(G, 't1', 0)).toBeUndefined();
    expect(h.shard.groups.has(G)).toBe(false); // an Empty group left without offsets is deleted
  });

  it('expires the offsets of an empty group offsets.retention after it emptied, not while it has members', () => {
    const h = new ShardHarness({ offsetsRetentionMs: 100_000 }).start();
    const id = consumerGroup(h);
    commit(h, commitRequest({ generationIdOrMemberEpoch: 1, memberId: id }, [['t1', 0, 3n]]));
    for (let t = 0; t < 200_000; t += 5000) {
      h.advance(5000);
      expect(h.heartbeat(G, id, 1)).toBe(0);
    }
    h.run((s, op) => s.expireOffsets(op));
    expect(h.shard.offsets.get(G, 't1', 0)).toBeDefined(); // Stable and subscribed: kept however old
    h.advance(10_000); // the member stops heartbeating: removed, the group is Empty from now
    expect(h.group(G).state).toBe('Empty');
    h.now += 99_999;
    h.run((s, op) => s.expireOffsets(op));
    expect(h.shard.offsets.get(G, 't1', 0)).toBeDefined();
    h.now += 1;
    h.run((s, op) => s.expireOffsets(op));
    expect(h.shard.offsets.get(G, 't1', 0)).toBeUndefined();
  });
});

describe('offset and group deletion', () => {
  it('refuses to delete offsets of topics the members subscribe to, deletes others', () => {
    const h = new ShardHarness().start();
    const id = consumerGroup(h);
    commit(h, commitRequest({ generationIdOrMemberEpoch: 1, memberId: id }, [['t1', 0, 1n], ['t2', 0, 2n]]));
    const res = h.run((s, op) =>
      s.deleteOffsets(op, G, [
        { name: 't1', partitions: [{ partitionIndex: 0 }] },
        { name: 't2', partitions: [{ partitionIndex: 0 }] },
      ]),
    );
    expect(res.map((t) => t.partitions![0].errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0]);
    expect(h.shard.offsets.get(G, 't2', 0)).toBeUndefined();
    expect(h.shard.offsets.get(G, 't1', 0)).toBeDefined();
    expect(() => h.run((s, op) => s.deleteOffsets(op, 'nope', []))).toThrow(expect.objectContaining({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND }));
  });

  it('refuses offset deletion in a non-empty group that is not a consumer group', () => {
    const h = new ShardHarness().start();
    h.joinNew(G, { protocolType: 'connect' });
    h.advance(0);
    expect(() => h.run((s, op) => s.deleteOffsets(op, G, []))).toThrow(expect.objectContaining({ errorCode: ErrorCode.NON_EMPTY_GROUP }));
  });

  it('deletes only empty groups, with their offsets, durably', () => {
    const h = new ShardHarness().start();
    const id = consumerGroup(h);
    commit(h, commitRequest({ generationIdOrMemberEpoch: 1, memberId: id }, [['t1', 0, 1n]]));
    commit(h, commitRequest({ groupId: 'simple' }, [['t1', 0, 9n]]));
    const first = h.run((s, op) => s.deleteGroups(op, [G, 'simple', 'nope', 'simple']));
    expect(Object.fromEntries(first)).toEqual({ [G]: ErrorCode.NON_EMPTY_GROUP, simple: 0, nope: ErrorCode.GROUP_ID_NOT_FOUND });
    expect(h.shard.groups.has('simple')).toBe(false);
    h.reload();
    expect(h.shard.groups.has('simple')).toBe(false);
    expect(h.shard.offsets.get('simple', 't1', 0)).toBeUndefined();
    expect(h.shard.offsets.get(G, 't1', 0)?.offset).toBe(1n);
  });
});

describe('describe and list', () => {
  it('describes Stable groups with metadata and assignments, others without, unknown ones as Dead', () => {
    const h = new ShardHarness().start();
    const id = consumerGroup(h);
    const d = h.shard.describeGroup(G);
    expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.members).toEqual([
      { memberId: id, groupInstanceId: null, clientId: 'client', clientHost: '/127.0.0.1', memberMetadata: subscription('t1'), memberAssignment: Buffer.from('x') },
    ]);
    h.joinNew(G, { protocols: [{ name: 'range', metadata: subscription('t1') }] });
    const preparing = h.shard.describeGroup(G);
    expect(preparing).toMatchObject({ groupState: 'PreparingRebalance', protocolData: '' });
    expect(preparing.members![0].memberMetadata).toEqual(Buffer.alloc(0));
    expect(h.shard.describeGroup('nope')).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });

  it('lists groups with state and type filters, case-insensitively', () => {
    const h = new ShardHarness().start();
    consumerGroup(h);
    commit(h, commitRequest({ groupId: 'simple' }, [['t1', 0, 1n]]));
    const ids = (states: string[], types: string[] = []) => h.shard.listGroups(states, types).map((g) => g.groupId).sort();
    expect(ids([])).toEqual([G, 'simple']);
    expect(ids(['stable'])).toEqual([G]);
    expect(ids(['Empty'])).toEqual(['simple']);
    expect(ids([], ['Classic'])).toEqual([G, 'simple']);
    expect(ids([], ['consumer'])).toEqual([]);
    expect(h.shard.listGroups([], []).find((g) => g.groupId === 'simple')).toEqual({ groupId: 'simple', protocolType: '', groupState: 'Empty', groupType: 'classic' });
  });
});
