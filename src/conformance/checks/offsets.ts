/**
 * OffsetCommit (8) and OffsetFetch (9). A commit with no generation and no
 * member (as standalone consumers do) is stored and read back with its
 * metadata (and leader epoch, v6+ / v5+); a partition never committed reads
 * as -1; a commit for an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; in a
 * group with a live member, a commit from a stale generation is
 * ILLEGAL_GENERATION and from an unknown member UNKNOWN_MEMBER_ID, while the
 * member's own commit is accepted and survives the member leaving
 * (a consumer reopening finds its position: no redelivery).
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import { expectEqual, expectError, expectNoError, expectTrue, fail } from '../assert.js';
import { Api } from '../ops.js';
import { commit, coordinatorConnection, fetchOffsets, leave, soleMember } from './group-flow.js';

const groupTopic = (ctx: Parameters<Check['run']>[0]) => ctx.suite.fixture('groups', { partitions: 2 });

const standalone: Check = {
  id: 'offset-commit.standalone',
  title: 'a commit without a member is stored and read back with its metadata',
  apiKey: Api.OffsetCommit,
  versions: 'all',
  tagged: true,
  requires: [Api.FindCoordinator, Api.OffsetFetch],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`commit-v${v}${ctx.injectTags ? '-t' : ''}`);
    const c = await coordinatorConnection(ctx, groupId);
    const offset = BigInt(40 + v);
    const epoch = topic.partitions[0]!.leaderEpoch;
    const errors = await commit(c, v, groupId, topic.name, new Map([[0, offset]]), { metadata: `meta-v${v}`, leaderEpoch: epoch });
    expectNoError(errors.get(0), 'partition errorCode');
    const fv = ctx.suite.maxVersion(Api.OffsetFetch);
    const got = await fetchOffsets(c, fv, groupId, topic.name, [0]);
    expectNoError(got.errorCode, 'OffsetFetch errorCode');
    const p = got.offsets.get(0);
    expectEqual(p?.offset, offset, 'committed offset read back');
    expectEqual(p?.metadata, `meta-v${v}`, 'committed metadata read back');
    if (v >= 6 && fv >= 5 && epoch >= 0) expectEqual(p?.leaderEpoch, epoch, 'committed leader epoch read back');
  },
};

const unknownTopic: Check = {
  id: 'offset-commit.unknown-topic',
  title: 'a commit for a topic that does not exist is UNKNOWN_TOPIC_OR_PARTITION',
  apiKey: Api.OffsetCommit,
  versions: 'all',
  requires: [Api.FindCoordinator],
  async run(ctx, v) {
    const groupId = ctx.suite.topicName(`commit-unknown-v${v}`);
    const c = await coordinatorConnection(ctx, groupId);
    const errors = await commit(c, v, groupId, ctx.suite.topicName(`missing-commit-v${v}`), new Map([[0, 1n]]));
    expectError(errors.get(0), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'partition errorCode');
  },
};

const memberCommits: Check = {
  id: 'offset-commit.member',
  title: "a member's commit is accepted; a stale generation is ILLEGAL_GENERATION, an unknown member UNKNOWN_MEMBER_ID; the offset survives the member leaving",
  apiKey: Api.OffsetCommit,
  versions: { min: 1 },
  parallel: true,
  timeoutMs: 60_000,
  requires: [Api.FindCoordinator, Api.JoinGroup, Api.SyncGroup, Api.LeaveGroup, Api.OffsetFetch],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const m = await soleMember(ctx, ctx.suite.topicName(`member-commit-v${v}`), topic.name, [0, 1]);
    const offsets = new Map([[0, 11n], [1, 22n]]);
    const ok = await commit(m.conn, v, m.groupId, topic.name, offsets, { generationId: m.generationId, memberId: m.memberId });
    expectNoError(ok.get(0), 'partition 0 errorCode');
    expectNoError(ok.get(1), 'partition 1 errorCode');
    const stale = await commit(m.conn, v, m.groupId, topic.name, new Map([[0, 99n]]), { generationId: m.generationId + 1, memberId: m.memberId });
    expectError(stale.get(0), ErrorCode.ILLEGAL_GENERATION, 'errorCode for another generation');
    const stranger = await commit(m.conn, v, m.groupId, topic.name, new Map([[0, 99n]]), { generationId: m.generationId, memberId: 'no-such-member' });
    expectError(stranger.get(0), ErrorCode.UNKNOWN_MEMBER_ID, 'errorCode for an unknown member');
    expectNoError(await leave(m.conn, ctx.suite.maxVersion(Api.LeaveGroup), m.groupId, m.memberId), 'LeaveGroup errorCode');
    const got = await fetchOffsets(m.conn, ctx.suite.maxVersion(Api.OffsetFetch), m.groupId, topic.name, [0, 1]);
    expectEqual(got.offsets.get(0)?.offset, 11n, 'partition 0 offset after the member left');
    expectEqual(got.offsets.get(1)?.offset, 22n, 'partition 1 offset after the member left');
  },
};

const fetches: Check = {
  id: 'offset-fetch.read',
  title: 'committed partitions read back, uncommitted ones as -1, and "all topics" (v2+) lists the committed one',
  apiKey: Api.OffsetFetch,
  versions: { min: 1 },
  tagged: true,
  requires: [Api.FindCoordinator, Api.OffsetCommit],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`fetch-offsets-v${v}${ctx.injectTags ? '-t' : ''}`);
    const c = await coordinatorConnection(ctx, groupId);
    const errors = await commit(c, ctx.suite.maxVersion(Api.OffsetCommit), groupId, topic.name, new Map([[0, 7n]]), { metadata: 'seven' });
    expectNoError(errors.get(0), 'OffsetCommit errorCode');
    const got = await fetchOffsets(c, v, groupId, topic.name, [0, 1]);
    expectNoError(got.errorCode, 'errorCode');
    const p0 = got.offsets.get(0);
    const p1 = got.offsets.get(1);
    if (!p0 || !p1) fail(`partitions answered: ${[...got.offsets.keys()].join(',') || 'none'}`);
    expectNoError(p0.errorCode, 'partition 0 errorCode');
    expectEqual(p0.offset, 7n, 'partition 0 offset');
    expectEqual(p0.metadata, 'seven', 'partition 0 metadata');
    expectNoError(p1.errorCode, 'partition 1 errorCode');
    expectEqual(p1.offset, -1n, 'offset of a partition never committed');
    if (v >= 2) {
      const all = await fetchOffsets(c, v, groupId, topic.name, null);
      expectNoError(all.errorCode, 'errorCode for all topics');
      expectEqual(all.offsets.get(0)?.offset, 7n, 'partition 0 offset in the all-topics answer');
      expectTrue(!all.offsets.has(1) || all.offsets.get(1)!.offset === -1n, 'partition 1 in the all-topics answer has an offset');
    }
  },
};

const unknownGroup: Check = {
  id: 'offset-fetch.unknown-group',
  title: 'a group that never committed reads every partition as -1',
  apiKey: Api.OffsetFetch,
  versions: { min: 1 },
  requires: [Api.FindCoordinator],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const groupId = ctx.suite.topicName(`never-committed-v${v}`);
    const c = await coordinatorConnection(ctx, groupId);
    const got = await fetchOffsets(c, v, groupId, topic.name, [0]);
    expectNoError(got.errorCode, 'errorCode');
    expectEqual(got.offsets.get(0)?.offset, -1n, 'offset');
  },
};

export const offsetChecks: Check[] = [standalone, unknownTopic, memberCommits, fetches, unknownGroup];
