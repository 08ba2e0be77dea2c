/**
 * DeleteGroups (42) and OffsetDelete (47), the group admin APIs.
 * DeleteGroups removes an empty group with its offsets, refuses a group
 * with members (NON_EMPTY_GROUP) and an unknown one (GROUP_ID_NOT_FOUND).
 * OffsetDelete removes the named partitions' offsets of an empty group and
 * keeps the others; a group that does not exist is GROUP_ID_NOT_FOUND, and a
 * partition of a topic the live group subscribes to is
 * GROUP_SUBSCRIBED_TO_TOPIC.
 */
import { ErrorCode } from '../../api/error-codes.js';
import type { Check } from '../check.js';
import type { KafkaConnection } from '../connection.js';
import { expectEqual, expectError, expectNoError, find } from '../assert.js';
import { Api } from '../ops.js';
import { commit, coordinatorConnection, dismiss, fetchOffsets, soleMember } from './group-flow.js';

const groupTopic = (ctx: Parameters<Check['run']>[0]) => ctx.suite.fixture('groups', { partitions: 2 });

async function deleteGroup(c: KafkaConnection, v: number, groupId: string): Promise<number> {
  const res = await c.request(Api.DeleteGroups, v, { groupsNames: [groupId] });
  return find(res.results, (r) => r.groupId === groupId, `group ${groupId}`).errorCode;
}

const deleteGroups: Check = {
  id: 'delete-groups.delete',
  title: 'deletes an empty group and its offsets; a group with members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND',
  apiKey: Api.DeleteGroups,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: [Api.FindCoordinator, Api.OffsetCommit, Api.OffsetFetch, Api.JoinGroup, Api.SyncGroup],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const tag = `v${v}${ctx.injectTags ? '-t' : ''}`;
    const emptyGroup = ctx.suite.topicName(`delete-group-${tag}`);
    const c = await coordinatorConnection(ctx, emptyGroup);
    expectNoError((await commit(c, ctx.suite.maxVersion(Api.OffsetCommit), emptyGroup, topic.name, new Map([[0, 3n]]))).get(0), 'OffsetCommit errorCode');
    expectNoError(await deleteGroup(c, v, emptyGroup), 'errorCode');
    const after = await fetchOffsets(c, ctx.suite.maxVersion(Api.OffsetFetch), emptyGroup, topic.name, [0]);
    expectEqual(after.offsets.get(0)?.offset, -1n, 'offset after the group was deleted');
    expectError(await deleteGroup(c, v, ctx.suite.topicName(`no-such-group-${tag}`)), ErrorCode.GROUP_ID_NOT_FOUND, 'errorCode for an unknown group');
    const m = await soleMember(ctx, ctx.suite.topicName(`delete-busy-group-${tag}`), topic.name, [0, 1]);
    expectError(await deleteGroup(m.conn, v, m.groupId), ErrorCode.NON_EMPTY_GROUP, 'errorCode for a group with a member');
    await dismiss(ctx, m);
  },
};

async function deleteOffsets(c: KafkaConnection, v: number, groupId: string, topic: string, partitions: number[]) {
  const res = await c.request(Api.OffsetDelete, v, { groupId, topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex })) }] });
  const t = res.topics.find((x) => x.name === topic);
  return { errorCode: res.errorCode, partitions: new Map((t?.partitions ?? []).map((p) => [p.partitionIndex, p.errorCode])) };
}

const offsetDelete: Check = {
  id: 'offset-delete.delete',
  title: "deletes an empty group's offsets for the named partitions only; refuses unknown groups and subscribed topics",
  apiKey: Api.OffsetDelete,
  versions: 'all',
  tagged: true,
  parallel: true,
  timeoutMs: 60_000,
  requires: [Api.FindCoordinator, Api.OffsetCommit, Api.OffsetFetch, Api.JoinGroup, Api.SyncGroup],
  async run(ctx, v) {
    const topic = await groupTopic(ctx);
    const tag = `v${v}${ctx.injectTags ? '-t' : ''}`;
    const groupId = ctx.suite.topicName(`offset-delete-${tag}`);
    const c = await coordinatorConnection(ctx, groupId);
    const committed = await commit(c, ctx.suite.maxVersion(Api.OffsetCommit), groupId, topic.name, new Map([[0, 5n], [1, 6n]]));
    expectNoError(committed.get(0), 'OffsetCommit errorCode');
    const r = await deleteOffsets(c, v, groupId, topic.name, [0]);
    expectNoError(r.errorCode, 'errorCode');
    expectNoError(r.partitions.get(0), 'partition 0 errorCode');
    const after = await fetchOffsets(c, ctx.suite.maxVersion(Api.OffsetFetch), groupId, topic.name, [0, 1]);
    expectEqual(after.offsets.get(0)?.offset, -1n, 'partition 0 offset after the delete');
    expectEqual(after.offsets.get(1)?.offset, 6n, 'partition 1 offset (not deleted)');
    const unknown = await deleteOffsets(c, v, ctx.suite.topicName(`no-such-group-od-${tag}`), topic.name, [0]);
    expectError(unknown.errorCode, ErrorCode.GROUP_ID_NOT_FOUND, 'errorCode for an unknown group');
    const m = await soleMember(ctx, ctx.suite.topicName(`offset-delete-busy-${tag}`), topic.name, [0, 1]);
    const busy = await deleteOffsets(m.conn, v, m.groupId, topic.name, [0]);
    expectNoError(busy.errorCode, 'errorCode for a live group');
    expectError(busy.partitions.get(0), ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 'partition errorCode for a subscribed topic');
    await dismiss(ctx, m);
  },
};

export const groupAdminChecks: Check[] = [deleteGroups, offsetDelete];
