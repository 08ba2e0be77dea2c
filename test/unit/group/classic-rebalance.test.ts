/** The classic group state machine, driven without I/O (see shard-harness.ts). */
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/api/error-codes.js';
import { ShardHarness } from './shard-harness.js';

const G = 'g';

/** Two dynamic members, A (leader) and B, Stable at generation 1 with assignments "a" and "b". */
function stableGroupOfTwo(h: ShardHarness) {
  const a = h.joinNew(G);
  const b = h.joinNew(G);
  h.advance(0);
  const leader = a.response!;
  const follower = b.response!;
  expect(leader.errorCode).toBe(0);
  expect(follower.errorCode).toBe(0);
  const aId = leader.memberId as string;
  const bId = follower.memberId as string;
  const bSync = h.sync({ groupId: G, memberId: bId, generationId: 1 });
  expect(bSync.response).toBeUndefined();
  const aSync = h.sync({
    groupId: G,
    memberId: aId,
    generationId: 1,
    assignments: [
      { memberId: aId, assignment: Buffer.from('a') },
      { memberId: bId, assignment: Buffer.from('b') },
    ],
  });
  expect(aSync.response).toMatchObject({ errorCode: 0, assignment: Buffer.from('a'), protocolName: 'range', protocolType: 'consumer' });
  expect(bSync.response).toMatchObject({ errorCode: 0, assignment: Buffer.from('b') });
  expect(h.group(G).state).toBe('Stable');
  return { aId, bId };
}

describe('classic group: joining', () => {
  it('hands a new v4+ member an id with MEMBER_ID_REQUIRED, then makes the first member leader', () => {
    const h = new ShardHarness().start();
    const first = h.join({ groupId: G });
    expect(first.response).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, memberId: 'client-1' });
    const joined = h.join({ groupId: G, memberId: 'client-1' });
    expect(joined.response).toBeUndefined(); // parked during the initial delay
    h.advance(0);
    expect(joined.response).toMatchObject({
      errorCode: 0,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      leader: 'client-1',
      memberId: 'client-1',
    });
    expect(joined.response!.members).toHaveLength(1);
    expect(h.group(G).state).toBe('CompletingRebalance');
  });

  it('adds a v3 member at once (no member id round trip)', () => {
    const h = new ShardHarness().start();
    const j = h.join({ groupId: G }, 3);
    h.advance(0);
    expect(j.response).toMatchObject({ errorCode: 0, memberId: 'client-1', generationId: 1 });
  });

  it('extends the initial rebalance delay while members keep arriving', () => {
    const h = new ShardHarness({ initialRebalanceDelayMs: 3000 }).start();
    const a = h.joinNew(G);
    h.advance(1000);
    const b = h.joinNew(G);
    h.advance(2000); // the first delay ends, but B arrived in it: extended by another delay
    expect(a.response).toBeUndefined();
    h.advance(2999);
    expect(a.response).toBeUndefined();
    h.advance(1);
    expect(a.response).toMatchObject({ generationId: 1, leader: a.response?.memberId });
    expect(a.response!.members).toHaveLength(2);
    expect(b.response).toMatchObject({ generationId: 1, members: [] });
  });

  it('selects the protocol all members support that most of them prefer', () => {
    const h = new ShardHarness().start();
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const a = h.joinNew(G, { protocols: p('roundrobin', 'range') });
    h.joinNew(G, { protocols: p('range', 'roundrobin', 'sticky') });
    h.joinNew(G, { protocols: p('range', 'roundrobin') });
    h.advance(0);
    expect(a.response).toMatchObject({ protocolName: 'range' });
    // The leader gets each member's metadata for the selected protocol.
    expect(a.response!.members!.map((m) => m.metadata)).toEqual([Buffer.from('range'), Buffer.from('range'), Buffer.from('range')]);
  });

  it('rejects members whose protocol type or protocols cannot fit the group', () => {
    const h = new ShardHarness().start();
    h.joinNew(G);
    expect(h.join({ groupId: G, protocolType: 'connect' }).response).toMatchObject({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL });
    expect(h.join({ groupId: G, protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }).response).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    expect(h.join({ groupId: 'other', protocols: [] }).response).toMatchObject({ errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL });
  });

  it('answers UNKNOWN_MEMBER_ID to a member id the group does not know, and caps the group size', () => {
    const h = new ShardHarness({ maxSize: 1 }).start();
    expect(h.join({ groupId: G, memberId: 'ghost' }).response).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
    h.joinNew(G);
    h.advance(0);
    const second = h.join({ groupId: G }, 3);
    expect(second.response).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED });
  });

  it('forgets a MEMBER_ID_REQUIRED id that never joins within the session timeout', () => {
    const h = new ShardHarness().start();
    const first = h.join({ groupId: G, sessionTimeoutMs: 6000 });
    expect(h.group(G).pendingJoin.size).toBe(1);
    h.advance(6000);
    expect(h.group(G).pendingJoin.size).toBe(0);
    expect(h.join({ groupId: G, memberId: first.response!.memberId as string }).response).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });
});

describe('classic group: sync, heartbeat, fencing', () => {
  it('stores the leader assignment and hands every member its own; a follower parked before the leader is answered too', () => {
    const h = new ShardHarness().start();
    stableGroupOfTwo(h);
    const record = h.log.at(-1)!;
    expect(record.kind).toBe('group');
    expect(record.kind === 'group' && record.value?.members.map((m) => m.assignment.toString())).toEqual(['a', 'b']);
  });

  it('fences stale generations, unknown members and wrong protocol names', () => {
    const h = new ShardHarness().start();
    const { aId } = stableGroupOfTwo(h);
    expect(h.heartbeat(G, aId, 1)).toBe(0);
    expect(h.heartbeat(G, aId, 0)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.heartbeat(G, 'ghost', 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.heartbeat('nope', aId, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.sync({ groupId: G, memberId: aId, generationId: 7 }).response).toMatchObject({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    expect(h.sync({ groupId: G, memberId: aId, generationId: 1, protocolName: 'roundrobin' }).response).toMatchObject({
      errorCode: ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    });
    expect(h.sync({ groupId: 'nope', memberId: aId, generationId: 1 }).response).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });

  it('tells members to rejoin when a new member arrives, and moves to the next generation once all rejoined', () => {
    const h = new ShardHarness().start();
    const { aId, bId } = stableGroupOfTwo(h);
    const c = h.joinNew(G);
    expect(h.group(G).state).toBe('PreparingRebalance');
    expect(h.heartbeat(G, aId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.sync({ groupId: G, memberId: bId, generationId: 1 }).response).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    const a = h.join({ groupId: G, memberId: aId });
    expect(a.response).toBeUndefined();
    const b = h.join({ groupId: G, memberId: bId });
    expect(a.response).toMatchObject({ generationId: 2, leader: aId });
    expect(a.response!.members).toHaveLength(3);
    expect(b.response).toMatchObject({ generationId: 2, members: [] });
    expect(c.response).toMatchObject({ generationId: 2 });
  });

  it('removes a member whose session times out and rebalances the rest', () => {
    const h = new ShardHarness().start();
    const { aId, bId } = stableGroupOfTwo(h);
    h.advance(5000);
    expect(h.heartbeat(G, aId, 1)).toBe(0);
    h.advance(5000); // B's 10 s session ends; A heartbeated 5 s ago
    expect(h.group(G).members.has(bId)).toBe(false);
    expect(h.group(G).state).toBe('PreparingRebalance');
    expect(h.heartbeat(G, aId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const a = h.join({ groupId: G, memberId: aId });
    expect(a.response).toMatchObject({ generationId: 2, leader: aId });
    expect(a.response!.members!.map((m) => m.memberId)).toEqual([aId]);
  });

  it('drops members that do not rejoin within the rebalance timeout and elects a rejoined leader', () => {
    const h = new ShardHarness().start();
    const { aId, bId } = stableGroupOfTwo(h);
    // B rejoins with new metadata, which starts a rebalance; A keeps heartbeating but never rejoins.
    const b = h.join({ groupId: G, memberId: bId, protocols: [{ name: 'range', metadata: Buffer.from('new') }] });
    for (let t = 0; t < 25_000; t += 5000) {
      h.advance(5000);
      expect(h.heartbeat(G, aId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    h.advance(4999);
    expect(b.response).toBeUndefined();
    h.advance(1);
    expect(h.group(G).members.has(aId)).toBe(false);
    expect(b.response).toMatchObject({ generationId: 2, leader: bId });
  });

  it('removes members that never send SyncGroup and rebalances', () => {
    const h = new ShardHarness().start();
    const a = h.joinNew(G);
    const b = h.joinNew(G);
    h.advance(0);
    const aId = a.response!.memberId as string;
    h.sync({ groupId: G, memberId: aId, generationId: 1, assignments: [] });
    expect(h.group(G).state).toBe('Stable');
    const bId = b.response!.memberId as string;
    for (let t = 0; t < 30_000; t += 5000) {
      expect(h.heartbeat(G, aId, 1)).toBe(0);
      expect(h.heartbeat(G, bId, 1)).toBe(0);
      h.advance(5000);
    }
    // B heartbeats but never synced within the rebalance timeout.
    expect(h.group(G).members.has(bId)).toBe(false);
    expect(h.group(G).state).toBe('PreparingRebalance');
    expect(h.heartbeat(G, aId, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('answers parked syncs with the error and rebalances when the assignment cannot be stored', () => {
    const h = new ShardHarness().start();
    const a = h.joinNew(G);
    const b = h.joinNew(G);
    h.advance(0);
    const bSync = h.sync({ groupId: G, memberId: b.response!.memberId as string, generationId: 1 });
    h.failNextAppend = ErrorCode.NOT_COORDINATOR;
    let aSync: ReturnType<ShardHarness['sync']> | undefined;
    expect(() => {
      aSync = h.sync({ groupId: G, memberId: a.response!.memberId as string, generationId: 1 });
    }).toThrow();
    expect(aSync).toBeUndefined();
    expect(bSync.response).toMatchObject({ errorCode: ErrorCode.NOT_COORDINATOR });
    expect(h.group(G).state).toBe('PreparingRebalance');
  });
});

describe('classic group: leaving', () => {
  it('rebalances without a member that leaves; the last one leaving empties the group (written)', () => {
    const h = new ShardHarness().start();
    const { aId, bId } = stableGroupOfTwo(h);
    const left = h.run((s, op) => s.leave(op, G, [{ memberId: bId, groupInstanceId: null, reason: 'bye' }]));
    expect(left.members).toEqual([{ memberId: bId, groupInstanceId: null, errorCode: 0 }]);
    expect(h.group(G).state).toBe('PreparingRebalance');
    const a = h.join({ groupId: G, memberId: aId });
    expect(a.response).toMatchObject({ generationId: 2 });
    const r = h.run((s, op) => s.leave(op, G, [{ memberId: aId, groupInstanceId: null, reason: null }, { memberId: 'ghost', groupInstanceId: null, reason: null }]));
    expect(r.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(h.group(G).state).toBe('Empty');
    expect(h.group(G).generationId).toBe(3);
    const last = h.log.at(-1)!;
    expect(last.kind === 'group' && last.value).toMatchObject({ generation: 3, members: [], protocol: null });
    const none = h.run((s, op) => s.leave(op, 'nope', [{ memberId: aId, groupInstanceId: null, reason: null }]));
    expect(none.members[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('classic group: static membership', () => {
  function staticGroup(h: ShardHarness) {
    const s = h.join({ groupId: G, groupInstanceId: 'i1', sessionTimeoutMs: 10_000 });
    const d = h.joinNew(G);
    h.advance(0);
    const sId = s.response!.memberId as string;
    const dId = d.response!.memberId as string;
    expect(sId).toBe('i1-1');
    h.sync({ groupId: G, memberId: sId, generationId: 1, groupInstanceId: 'i1', assignments: [{ memberId: sId, assignment: Buffer.from('s') }, { memberId: dId, assignment: Buffer.from('d') }] });
    h.sync({ groupId: G, memberId: dId, generationId: 1 });
    expect(h.group(G).state).toBe('Stable');
    return { sId, dId };
  }

  it('lets a static member restart without a rebalance and fences its old member id', () => {
    const h = new ShardHarness().start();
    const { sId, dId } = staticGroup(h);
    const rejoin = h.join({ groupId: G, groupInstanceId: 'i1' }, 8);
    expect(rejoin.response).toMatchObject({ errorCode: 0, generationId: 1, protocolName: 'range', leader: sId, skipAssignment: false });
    const newId = rejoin.response!.memberId as string;
    expect(newId).not.toBe(sId);
    expect(h.group(G).state).toBe('Stable');
    expect(h.heartbeat(G, dId, 1)).toBe(0);
    expect(h.heartbeat(G, sId, 1, 'i1')).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.sync({ groupId: G, memberId: newId, generationId: 1, groupInstanceId: 'i1' }).response).toMatchObject({
      errorCode: 0,
      assignment: Buffer.from('s'),
    });
    // The new member id is durable.
    const rec = h.log.at(-1)!;
    expect(rec.kind === 'group' && rec.value?.members.map((m) => m.memberId)).toEqual([dId, newId]);
  });

  it('gives a rejoining static leader skipAssignment with the member list on v9', () => {
    const h = new ShardHarness().start();
    staticGroup(h);
    const rejoin = h.join({ groupId: G, groupInstanceId: 'i1' }, 9);
    expect(rejoin.response).toMatchObject({ errorCode: 0, generationId: 1, skipAssignment: true, leader: rejoin.response!.memberId });
    expect(rejoin.response!.members).toHaveLength(2);
  });

  it('rejects another process using the same instance id with FENCED_INSTANCE_ID', () => {
    const h = new ShardHarness().start();
    const { sId } = staticGroup(h);
    const newcomer = h.join({ groupId: G, groupInstanceId: 'i1' });
    const newId = newcomer.response!.memberId as string;
    // The old process carries on with its old id and is fenced everywhere.
    expect(h.join({ groupId: G, memberId: sId, groupInstanceId: 'i1' }).response).toMatchObject({ errorCode: ErrorCode.FENCED_INSTANCE_ID });
    expect(h.sync({ groupId: G, memberId: sId, generationId: 1, groupInstanceId: 'i1' }).response).toMatchObject({ errorCode: ErrorCode.FENCED_INSTANCE_ID });
    const leave = h.run((s, op) => s.leave(op, G, [{ memberId: sId, groupInstanceId: 'i1', reason: null }]));
    expect(leave.members[0].errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.heartbeat(G, newId, 1, 'i1')).toBe(0);
  });

  it('reverts the replacement when the new member id cannot be written', () => {
    const h = new ShardHarness().start();
    const { sId } = staticGroup(h);
    h.failNextAppend = ErrorCode.NOT_COORDINATOR;
    let rejoin: ReturnType<ShardHarness['join']> | undefined;
    expect(() => {
      rejoin = h.join({ groupId: G, groupInstanceId: 'i1' });
    }).toThrow();
    expect(rejoin).toBeUndefined();
    expect(h.group(G).staticMembers.get('i1')).toBe(sId);
    expect(h.heartbeat(G, sId, 1, 'i1')).toBe(0);
  });

  it('removes a static member by instance id alone (admin removal)', () => {
    const h = new ShardHarness().start();
    staticGroup(h);
    const r = h.run((s, op) => s.leave(op, G, [{ memberId: '', groupInstanceId: 'i1', reason: 'admin' }, { memberId: '', groupInstanceId: 'i9', reason: null }]));
    expect(r.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(h.group(G).staticMembers.size).toBe(0);
  });
});

describe('classic group: reload', () => {
  it('comes back Stable with members, generation, leader and assignments from its records', () => {
    const h = new ShardHarness().start();
    const { aId, bId } = stableGroupOfTwo(h);
    h.reload();
    const g = h.group(G);
    expect(g.state).toBe('Stable');
    expect(g.generationId).toBe(1);
    expect(g.leaderId).toBe(aId);
    expect([...g.members.keys()]).toEqual([aId, bId]);
    expect(g.members.get(bId)!.assignment.toString()).toBe('b');
    expect(h.heartbeat(G, bId, 1)).toBe(0);
    expect(h.sync({ groupId: G, memberId: bId, generationId: 1 }).response).toMatchObject({ errorCode: 0, assignment: Buffer.from('b') });
    // Sessions restart at load: members that are gone expire.
    h.advance(10_000);
    expect(h.group(G).members.size).toBe(0);
    expect(h.group(G).state).toBe('Empty');
  });
});
