/**
 * The classic consumer-group protocol as a client drives it, for the group
 * checks: find the coordinator, join (answering MEMBER_ID_REQUIRED, KIP-394),
 * sync, heartbeat, leave, commit and fetch offsets, each at a chosen version.
 * Every member has its own connection because JoinGroup and SyncGroup block
 * until the rebalance completes.
 */
import { ErrorCode } from '../../api/error-codes.js';
import { Writer } from '../../protocol/primitives/index.js';
import { encodeConsumerProtocolAssignment } from '../../protocol/generated/consumer-protocol-assignment.js';
import { encodeConsumerProtocolSubscription } from '../../protocol/generated/consumer-protocol-subscription.js';
import type { KafkaConnection, Res } from '../connection.js';
import { expectNoError, fail, find } from '../assert.js';
import { Api } from '../ops.js';
import { sleep, type CheckContext } from '../suite.js';

export const PROTOCOL_TYPE = 'consumer';
export const PROTOCOL = 'range';
export const SESSION_TIMEOUT_MS = 10_000;
export const REBALANCE_TIMEOUT_MS = 10_000;
/** Joins wait for the initial rebalance delay (3 s in Kafka) and the other members. */
export const JOIN_WAIT_MS = 30_000;

/** ConsumerProtocolSubscription v0 with its version prefix, as Java clients send it. */
export function subscription(topic: string): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: [topic], userData: null });
  return w.toBuffer();
}

export function assignment(topic: string, partitions: number[]): Buffer {
  const w = new Writer();
  w.int16(0);
  encodeConsumerProtocolAssignment(w, 0, { assignedPartitions: [{ topic, partitions }], userData: null });
  return w.toBuffer();
}

const RETRIABLE = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);

export interface CoordinatorAnswer {
  errorCode: number;
  nodeId: number;
  host: string;
  port: number;
}

/** FindCoordinator for a group at version v (v4+ batches keys, KIP-699). */
export async function findCoordinator(c: KafkaConnection, v: number, groupId: string): Promise<CoordinatorAnswer> {
  const res = await c.request(Api.FindCoordinator, v, v < 4 ? { key: groupId } : { keyType: 0, coordinatorKeys: [groupId] });
  if (v < 4) return { errorCode: res.errorCode, nodeId: res.nodeId, host: res.host, port: res.port };
  const k = find(res.coordinators, (x) => x.key === groupId, `coordinator for ${groupId}`);
  return { errorCode: k.errorCode, nodeId: k.nodeId, host: k.host, port: k.port };
}

/** The coordinator's answer, retried while it is still loading (up to 10 s). */
export async function locateCoordinator(ctx: CheckContext, groupId: string, v = ctx.suite.maxVersion(Api.FindCoordinator)): Promise<CoordinatorAnswer> {
  const c = await ctx.conn();
  const deadline = Date.now() + 10_000;
  for (;;) {
    const a = await findCoordinator(c, v, groupId);
    if (!RETRIABLE.has(a.errorCode) || Date.now() > deadline) return a;
    await sleep(200);
  }
}

/** A new connection to the group's coordinator. */
export async function coordinatorConnection(ctx: CheckContext, groupId: string): Promise<KafkaConnection> {
  const a = await locateCoordinator(ctx, groupId);
  expectNoError(a.errorCode, `FindCoordinator errorCode for ${groupId}`);
  return ctx.connectTo(`${a.host}:${a.port}`);
}

export type JoinResult = Res<11>;

export interface JoinOptions {
  memberId?: string;
  sessionTimeoutMs?: number;
  topic: string;
}

/**
 * Repeats a coordinator request while the answer is
 * COORDINATOR_LOAD_IN_PROGRESS (a coordinator still loading its offsets
 * partition, as Kafka answers just after it takes over), up to 10 s.
 */
async function whileLoading<T>(send: () => Promise<T>, code: (t: T) => number | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await send();
    if (code(res) !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || Date.now() > deadline) return res;
    await sleep(200);
  }
}

/** One JoinGroup request (retried only while the coordinator loads). */
export function joinOnce(c: KafkaConnection, v: number, groupId: string, o: JoinOptions): Promise<JoinResult> {
  return whileLoading(() => c.request(
    Api.JoinGroup,
    v,
    {
      groupId,
      sessionTimeoutMs: o.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
      ...(v >= 1 ? { rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS } : {}),
      memberId: o.memberId ?? '',
      groupInstanceId: null,
      protocolType: PROTOCOL_TYPE,
      protocols: [{ name: PROTOCOL, metadata: subscription(o.topic) }],
      reason: null,
    },
    { timeoutMs: JOIN_WAIT_MS },
  ), (r) => r.errorCode);
}

/** Joins as a client does: a MEMBER_ID_REQUIRED answer (v4+) is followed by a join with the given id. */
export async function join(c: KafkaConnection, v: number, groupId: string, o: JoinOptions): Promise<JoinResult> {
  let res = await joinOnce(c, v, groupId, o);
  if (res.errorCode === ErrorCode.MEMBER_ID_REQUIRED && v >= 4) {
    if (!res.memberId) fail('MEMBER_ID_REQUIRED without a member id');
    res = await joinOnce(c, v, groupId, { ...o, memberId: res.memberId });
  }
  return res;
}

export function sync(c: KafkaConnection, v: number, groupId: string, generationId: number, memberId: string, assignments: Array<{ memberId: string; assignment: Buffer }>) {
  return c.request(
    Api.SyncGroup,
    v,
    { groupId, generationId, memberId, assignments, ...(v >= 5 ? { protocolType: PROTOCOL_TYPE, protocolName: PROTOCOL } : {}) },
    { timeoutMs: JOIN_WAIT_MS },
  );
}

export function heartbeat(c: KafkaConnection, v: number, groupId: string, generationId: number, memberId: string) {
  return c.request(Api.Heartbeat, v, { groupId, generationId, memberId, groupInstanceId: null });
}

export async function leave(c: KafkaConnection, v: number, groupId: string, memberId: string): Promise<number> {
  const res = await c.request(Api.LeaveGroup, v, v < 3 ? { groupId, memberId } : { groupId, members: [{ memberId, groupInstanceId: null, reason: null }] });
  if (res.errorCode !== 0 || v < 3) return res.errorCode;
  return find(res.members, (m) => m.memberId === memberId, `member ${memberId}`).errorCode;
}

export interface Member {
  conn: KafkaConnection;
  groupId: string;
  memberId: string;
  generationId: number;
  assignment: Buffer;
}

/** A single member that has joined and synced (at the highest versions), holding every partition. */
export async function soleMember(ctx: CheckContext, groupId: string, topic: string, partitions: number[]): Promise<Member> {
  const conn = await coordinatorConnection(ctx, groupId);
  const j = await join(conn, ctx.suite.maxVersion(Api.JoinGroup), groupId, { topic });
  expectNoError(j.errorCode, 'JoinGroup errorCode');
  const mine = assignment(topic, partitions);
  const s = await sync(conn, ctx.suite.maxVersion(Api.SyncGroup), groupId, j.generationId, j.memberId, [{ memberId: j.memberId, assignment: mine }]);
  expectNoError(s.errorCode, 'SyncGroup errorCode');
  return { conn, groupId, memberId: j.memberId, generationId: j.generationId, assignment: mine };
}

/** Leaves quietly (cleanup after a check); errors do not matter here. */
export async function dismiss(ctx: CheckContext, m: Member): Promise<void> {
  if (!ctx.suite.has(Api.LeaveGroup)) return;
  try {
    await leave(m.conn, ctx.suite.maxVersion(Api.LeaveGroup), m.groupId, m.memberId);
  } catch {
    // the member's session expires anyway
  }
}

export interface CommitOptions {
  generationId?: number;
  memberId?: string;
  metadata?: string;
  leaderEpoch?: number;
}

/** Commits offsets for partitions of one topic; returns each partition's error code. */
export async function commit(c: KafkaConnection, v: number, groupId: string, topic: string, offsets: Map<number, bigint>, o: CommitOptions = {}): Promise<Map<number, number>> {
  const res = await whileLoading(() => c.request(Api.OffsetCommit, v, {
    groupId,
    generationIdOrMemberEpoch: o.generationId ?? -1,
    memberId: o.memberId ?? '',
    topics: [
      {
        name: topic,
        partitions: [...offsets].map(([partitionIndex, committedOffset]) => ({
          partitionIndex,
          committedOffset,
          committedLeaderEpoch: v >= 6 ? (o.leaderEpoch ?? -1) : -1,
          committedMetadata: o.metadata ?? null,
        })),
      },
    ],
  }), (r) => r.topics[0]?.partitions[0]?.errorCode);
  const t = find(res.topics, (x) => x.name === topic, `topic ${topic}`);
  return new Map(t.partitions.map((p) => [p.partitionIndex, p.errorCode]));
}

export interface FetchedOffset {
  offset: bigint;
  metadata: string | null;
  leaderEpoch: number;
  errorCode: number;
}

/**
 * OffsetFetch for partitions of one topic (null: all the group has); v8+ uses
 * the batched form (KIP-709); requireStable (v7+, KIP-447) asks for
 * UNSTABLE_OFFSET_COMMIT on partitions with pending transactional offsets.
 */
export async function fetchOffsets(
  c: KafkaConnection,
  v: number,
  groupId: string,
  topic: string,
  partitions: number[] | null,
  requireStable = false,
): Promise<{ errorCode: number; offsets: Map<number, FetchedOffset> }> {
  const topics = partitions === null ? null : [{ name: topic, partitionIndexes: partitions }];
  const stable = v >= 7 ? { requireStable } : {};
  const res = await whileLoading(
    () => c.request(Api.OffsetFetch, v, v < 8 ? { groupId, topics, ...stable } : { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], ...stable }),
    (r) => (v >= 8 ? r.groups[0]?.errorCode : v >= 2 ? r.errorCode : r.topics[0]?.partitions[0]?.errorCode),
  );
  const offsets = new Map<number, FetchedOffset>();
  const collect = (ts: ReadonlyArray<{ name: string; partitions: ReadonlyArray<{ partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; metadata: string | null; errorCode: number }> }>): void => {
    for (const t of ts) {
      if (t.name !== topic) continue;
      for (const p of t.partitions) offsets.set(p.partitionIndex, { offset: p.committedOffset, metadata: p.metadata, leaderEpoch: p.committedLeaderEpoch, errorCode: p.errorCode });
    }
  };
  if (v >= 8) {
    const g = find(res.groups, (x) => x.groupId === groupId, `group ${groupId}`);
    collect(g.topics);
    return { errorCode: g.errorCode, offsets };
  }
  collect(res.topics);
  return { errorCode: v >= 2 ? res.errorCode : 0, offsets };
}
