/**
 * Classic consumer groups: FindCoordinator (10), JoinGroup (11), SyncGroup
 * (14), Heartbeat (12), LeaveGroup (13), DescribeGroups (15), ListGroups
 * (16), and a two-member rebalance. These run only when the broker
 * advertises the APIs involved; otherwise they are reported as skipped.
 *
 * Kafka semantics checked: a lone member becomes leader and receives the
 * member list; the leader's assignment reaches the member through SyncGroup;
 * heartbeats with a stale generation are ILLEGAL_GENERATION and from
 * unknown members UNKNOWN_MEMBER_ID; a member that left is unknown; a
 * session timeout below the broker minimum is INVALID_SESSION_TIMEOUT; a new
 * member makes the others' heartbeats answer REBALANCE_IN_PROGRESS, after
 * which all rejoin into one new generation.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail, find } from '../assert.js';
import { Api } from '../ops.js';
import { poll } from '../suite.js';
import {
  JOIN_WAIT_MS,
  PROTOCOL,
  PROTOCOL_TYPE,
  assignment,
  coordinatorConnection,
  dismiss,
  heartbeat,
  join,
  joinOnce,
  leave,
  locateCoordinator,
  soleMember,
  subscription,
  sync,
  type Member,
} from './group-flow.js';

const GROUP_APIS = [Api.FindCoordinator, Api.JoinGroup, Api.SyncGroup];
const groupTopic = (ctx: Parameters<Check['run']>[0]) => ctx.suite.fixture('groups', { partitions: 2 });

const findCoordinator: Check = {
  id: 'find-coordinator.group',
  title: 'names a live broker as the coordinator of a group',
  apiKey: Api.FindCoordinator,
  versions: 'all',
  tagged: true,
  async run(ctx, v) {
    const a = await locateCoordinator(ctx, ctx.suite.topicName(`coordinator-v${v}`), v);
    expectNoError(a.errorCode, 'errorCode');
    const b = ctx.suite.brokers.get(a.nodeId);
    expectTrue(b !== undefined, `coordinator ${a.nodeId} is not a broker in Metadata`);
    expectEqual(`${a.host}:${a.port}`, `${b.host}:${b.port}`, 'coordinator endpoint');
  },
};

const joinLone: Check = {
  id: 'join-group.lone-member',
  title: 'a lone member joins as leader, gets the member list and the chosen protocol',
  apiKey: Api.JoinGroup,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: [Api.FindCoordinator],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`join-v${v}${ctx.injectTags ? '-t' : ''}`);
    const c = await coordinatorConnection(ctx, groupId);
    const j = await join(c, v, groupId, { topic: topic.name });
    expectNoError(j.errorCode, 'errorCode');
    expectTrue(j.memberId.length > 0, 'empty memberId');
    expectEqual(j.leader, j.memberId, 'leader');
    expectTrue(j.generationId >= 0, `generationId ${j.generationId}`);
    expectEqual(j.protocolName, PROTOCOL, 'protocolName');
    if (v >= 7) expectEqual(j.protocolType, PROTOCOL_TYPE, 'protocolType');
    expectEqual(j.members.length, 1, 'members given to the leader');
    const m = j.members[0]!;
    expectEqual(m.memberId, j.memberId, 'member id in the list');
    expectTrue(m.metadata.equals(subscription(topic.name)), 'member metadata differs from what was sent');
    await dismiss(ctx, { conn: c, groupId, memberId: j.memberId, generationId: j.generationId, assignment: Buffer.alloc(0) });
  },
};

const joinInvalid: Check = {
  id: 'join-group.errors',
  title: 'a too-short session timeout is INVALID_SESSION_TIMEOUT; an unknown member id UNKNOWN_MEMBER_ID',
  apiKey: Api.JoinGroup,
  versions: 'all',
  requires: [Api.FindCoordinator],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`join-errors-v${v}`);
    const c = await coordinatorConnection(ctx, groupId);
    const short = await joinOnce(c, v, groupId, { topic: topic.name, sessionTimeoutMs: 1 });
    expectError(short.errorCode, ErrorCode.INVALID_SESSION_TIMEOUT, 'errorCode for a 1 ms session timeout');
    const unknown = await joinOnce(c, v, groupId, { topic: topic.name, memberId: 'no-such-member' });
    expectError(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'errorCode for an unknown member id');
  },
};

const syncLone: Check = {
  id: 'sync-group.assignment',
  title: "the leader's assignment comes back from SyncGroup",
  apiKey: Api.SyncGroup,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: GROUP_APIS,
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`sync-v${v}${ctx.injectTags ? '-t' : ''}`);
    const c = await coordinatorConnection(ctx, groupId);
    const j = await join(c, ctx.suite.maxVersion(Api.JoinGroup), groupId, { topic: topic.name });
    expectNoError(j.errorCode, 'JoinGroup errorCode');
    const mine = assignment(topic.name, [0, 1]);
    const s = await sync(c, v, groupId, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: mine }]);
    expectNoError(s.errorCode, 'errorCode');
    expectTrue(s.assignment.equals(mine), 'assignment differs from what the leader sent');
    if (v >= 5) {
      expectEqual(s.protocolType, PROTOCOL_TYPE, 'protocolType');
      expectEqual(s.protocolName, PROTOCOL, 'protocolName');
    }
    await dismiss(ctx, { conn: c, groupId, memberId: j.memberId, generationId: j.generationId, assignment: mine });
  },
};

const heartbeats: Check = {
  id: 'heartbeat.generation',
  title: 'a member heartbeats; a stale generation is ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID',
  apiKey: Api.Heartbeat,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: GROUP_APIS,
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const m = await soleMember(ctx, ctx.suite.topicName(`heartbeat-v${v}${ctx.injectTags ? '-t' : ''}`), topic.name, [0, 1]);
    expectNoError((await heartbeat(m.conn, v, m.groupId, m.generationId, m.memberId)).errorCode, 'errorCode');
    expectError((await heartbeat(m.conn, v, m.groupId, m.generationId + 1, m.memberId)).errorCode, ErrorCode.ILLEGAL_GENERATION, 'errorCode for another generation');
    expectError((await heartbeat(m.conn, v, m.groupId, m.generationId, 'no-such-member')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'errorCode for an unknown member');
    await dismiss(ctx, m);
  },
};

const leaves: Check = {
  id: 'leave-group.leave',
  title: 'a member leaves; its heartbeats are then UNKNOWN_MEMBER_ID',
  apiKey: Api.LeaveGroup,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: [...GROUP_APIS, Api.Heartbeat],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const m = await soleMember(ctx, ctx.suite.topicName(`leave-v${v}${ctx.injectTags ? '-t' : ''}`), topic.name, [0, 1]);
    expectNoError(await leave(m.conn, v, m.groupId, m.memberId), 'errorCode');
    const hb = await heartbeat(m.conn, ctx.suite.maxVersion(Api.Heartbeat), m.groupId, m.generationId, m.memberId);
    expectError(hb.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'heartbeat errorCode after leaving');
  },
};

const describes: Check = {
  id: 'describe-groups.stable',
  title: 'a synced group is Stable with its protocol, member and assignment',
  apiKey: Api.DescribeGroups,
  versions: 'all',
  parallel: true,
  timeoutMs: 60_000,
  requires: GROUP_APIS,
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const m = await soleMember(ctx, ctx.suite.topicName(`describe-v${v}`), topic.name, [0, 1]);
    const res = await m.conn.request(Api.DescribeGroups, v, { groups: [m.groupId], includeAuthorizedOperations: false });
    const g = find(res.groups, (x) => x.groupId === m.groupId, `group ${m.groupId}`);
    expectNoError(g.errorCode, 'errorCode');
    expectEqual(g.groupState, 'Stable', 'groupState');
    expectEqual(g.protocolType, PROTOCOL_TYPE, 'protocolType');
    expectEqual(g.protocolData, PROTOCOL, 'protocolData');
    expectEqual(g.members.length, 1, 'members');
    const member = g.members[0]!;
    expectEqual(member.memberId, m.memberId, 'memberId');
    expectTrue(member.memberAssignment.equals(m.assignment), 'member assignment differs');
    await dismiss(ctx, m);
  },
};

const lists: Check = {
  id: 'list-groups.lists',
  title: 'a group with a member is listed with its protocol type',
  apiKey: Api.ListGroups,
  versions: 'all',
  parallel: true,
  timeoutMs: 60_000,
  requires: GROUP_APIS,
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const m = await soleMember(ctx, ctx.suite.topicName(`list-v${v}`), topic.name, [0, 1]);
    const res = await m.conn.request(Api.ListGroups, v, { statesFilter: [], typesFilter: [] });
    expectNoError(res.errorCode, 'errorCode');
    const g = find(res.groups, (x) => x.groupId === m.groupId, `group ${m.groupId}`);
    expectEqual(g.protocolType, PROTOCOL_TYPE, 'protocolType');
    if (v >= 4) expectEqual(g.groupState, 'Stable', 'groupState');
    await dismiss(ctx, m);
  },
};

const rebalance: Check = {
  id: 'scenario.group-rebalance',
  title: 'a second member triggers a rebalance: REBALANCE_IN_PROGRESS, both rejoin one generation, each gets its assignment',
  apiKey: null,
  requires: [...GROUP_APIS, Api.Heartbeat, Api.LeaveGroup],
  timeoutMs: 2 * JOIN_WAIT_MS,
  async run(ctx) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName('rebalance');
    const jv = ctx.suite.maxVersion(Api.JoinGroup);
    const sv = ctx.suite.maxVersion(Api.SyncGroup);
    const hv = ctx.suite.maxVersion(Api.Heartbeat);
    const a: Member = await soleMember(ctx, groupId, topic.name, [0, 1]);
    const bConn = await coordinatorConnection(ctx, groupId);
    const bJoin = join(bConn, jv, groupId, { topic: topic.name });
    const notified = await poll(async () => {
      const hb = await heartbeat(a.conn, hv, groupId, a.generationId, a.memberId);
      return hb.errorCode === ErrorCode.REBALANCE_IN_PROGRESS ? true : hb.errorCode === 0 ? undefined : hb.errorCode;
    }, 10_000, 200);
    if (notified !== true) fail(`member A's heartbeat answered ${notified ?? 'NONE for 10 s'} instead of REBALANCE_IN_PROGRESS`);
    const [ja, jb] = await Promise.all([join(a.conn, jv, groupId, { topic: topic.name, memberId: a.memberId }), bJoin]);
    expectNoError(ja.errorCode, 'A rejoin errorCode');
    expectNoError(jb.errorCode, 'B join errorCode');
    expectEqual(ja.generationId, jb.generationId, 'generation of A and B');
    expectTrue(ja.generationId > a.generationId, `new generation ${ja.generationId} is not after ${a.generationId}`);
    expectEqual(ja.leader, jb.leader, 'leader named to A and B');
    const leaderIsA = ja.leader === ja.memberId;
    const [lead, follow] = leaderIsA ? [ja, jb] : [jb, ja];
    const [leadConn, followConn] = leaderIsA ? [a.conn, bConn] : [bConn, a.conn];
    expectEqual(lead.members.length, 2, "members in the leader's answer");
    expectEqual(follow.members.length, 0, "members in a follower's answer");
    const plan = [
      { memberId: lead.memberId, assignment: assignment(topic.name, [0]) },
      { memberId: follow.memberId, assignment: assignment(topic.name, [1]) },
    ];
    const followSync = sync(followConn, sv, groupId, follow.generationId, follow.memberId, []);
    const leadSync = await sync(leadConn, sv, groupId, lead.generationId, lead.memberId, plan);
    const fs = await followSync;
    expectNoError(leadSync.errorCode, 'leader SyncGroup errorCode');
    expectNoError(fs.errorCode, 'follower SyncGroup errorCode');
    expectTrue(leadSync.assignment.equals(plan[0]!.assignment), "leader's assignment differs");
    expectTrue(fs.assignment.equals(plan[1]!.assignment), "follower's assignment differs");
    expectNoError((await heartbeat(leadConn, hv, groupId, lead.generationId, lead.memberId)).errorCode, 'leader heartbeat after the rebalance');
    expectNoError((await heartbeat(followConn, hv, groupId, follow.generationId, follow.memberId)).errorCode, 'follower heartbeat after the rebalance');
    await dismiss(ctx, { ...a, memberId: follow.memberId, conn: followConn });
    await dismiss(ctx, { ...a, memberId: lead.memberId, conn: leadConn });
  },
};

export const groupChecks: Check[] = [findCoordinator, joinLone, joinInvalid, syncLone, heartbeats, leaves, describes, lists, rebalance];
