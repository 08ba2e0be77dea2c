/**
 * Drives a GroupShard the way CoordinatorRuntime does, without I/O: each
 * operation decides, "appends" its records to an in-memory log (or fails
 * them on request), replays them, runs the hooks, then delivers replies.
 * Time is a number the test moves forward.
 */
import pino from 'pino';
import { GroupShard } from '../../../src/group/group-shard.js';
import { GroupOp, type ShardEnv } from '../../../src/group/group-op.js';
import { GROUP_CONFIG_DEFAULTS, type GroupConfig } from '../../../src/group/group-config.js';
import type { GroupRecord } from '../../../src/group/group-records.js';
import type { JoinResponse, SyncResponse } from '../../../src/group/classic-member.js';
import type { JoinGroupRequest } from '../../../src/protocol/generated/join-group-request.js';
import type { SyncGroupRequest } from '../../../src/protocol/generated/sync-group-request.js';

export interface Parked<R> {
  response: R | undefined;
}

export class ShardHarness {
  now = 1_000_000;
  readonly log: GroupRecord[] = [];
  shard: GroupShard;
  /** When set, the next append fails with this error code. */
  failNextAppend: number | null = null;
  private nextId = 0;
  private outbox: Array<() => void> | null = null;
  readonly env: ShardEnv;

  constructor(config: Partial<GroupConfig> = {}) {
    this.env = {
      config: { ...GROUP_CONFIG_DEFAULTS, initialRebalanceDelayMs: 0, ...config },
      newMemberId: (prefix) => `${prefix}-${++this.nextId}`,
      log: pino({ level: 'silent' }),
    };
    this.shard = this.fresh();
  }

  private fresh(): GroupShard {
    const s = new GroupShard(0, this.env);
    return s;
  }

  /** Starts a new shard that loads everything written so far (a coordinator restart or move). */
  reload(): void {
    this.shard = this.fresh();
    for (const r of this.log) this.shard.replay(r, this.now);
    this.shard.finishLoad(this.now);
  }

  start(): this {
    this.shard.finishLoad(this.now);
    return this;
  }

  run<T>(fn: (shard: GroupShard, op: GroupOp) => T): T {
    const outbox: Array<() => void> = [];
    this.outbox = outbox;
    try {
      const op = new GroupOp(this.now);
      const result = fn(this.shard, op);
      this.commit(op);
      return result;
    } finally {
      this.outbox = null;
      for (const d of outbox) d();
    }
  }

  private commit(op: GroupOp): void {
    if (op.records.length > 0) {
      if (this.failNextAppend !== null) {
        const code = this.failNextAppend;
        this.failNextAppend = null;
        const next = new GroupOp(this.now);
        for (const h of op.onFailure) h(code, next);
        if (next.records.length > 0) this.commit(next);
        throw Object.assign(new Error('append failed'), { kafkaErrorCode: code });
      }
      for (const r of op.records) {
        this.log.push(r);
        this.shard.replay(r, op.now);
      }
    }
    for (const h of op.onSuccess) h();
  }

  private parked<R>(): { box: Parked<R>; reply: (r: R) => void } {
    const box: Parked<R> = { response: undefined };
    const reply = (r: R): void => {
      const deliver = (): void => {
        if (box.response !== undefined) throw new Error('a request was answered twice');
        box.response = r;
      };
      if (this.outbox) this.outbox.push(deliver);
      else deliver();
    };
    return { box, reply };
  }

  join(req: Partial<JoinGroupRequest> & { groupId: string }, apiVersion = 9, clientId = 'client'): Parked<JoinResponse> {
    const { box, reply } = this.parked<JoinResponse>();
    const request: JoinGroupRequest = {
      memberId: '',
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: Buffer.from('sub') }],
      reason: null,
      ...req,
    };
    this.run((shard, op) => shard.join(op, { request, apiVersion, clientId, clientHost: '/127.0.0.1' }, reply));
    return box;
  }

  /** A dynamic member's full v4+ join: MEMBER_ID_REQUIRED, then the join with the given id. */
  joinNew(groupId: string, extra: Partial<JoinGroupRequest> = {}): Parked<JoinResponse> {
    const first = this.join({ groupId, ...extra });
    if (first.response?.errorCode !== 79) throw new Error(`expected MEMBER_ID_REQUIRED, got ${JSON.stringify(first.response)}`);
    return this.join({ groupId, ...extra, memberId: first.response.memberId as string });
  }

  sync(req: Partial<SyncGroupRequest> & { groupId: string; memberId: string; generationId: number }): Parked<SyncResponse> {
    const { box, reply } = this.parked<SyncResponse>();
    const request: SyncGroupRequest = { groupInstanceId: null, protocolType: null, protocolName: null, assignments: [], ...req };
    this.run((shard, op) => shard.sync(op, request, reply));
    return box;
  }

  heartbeat(groupId: string, memberId: string, generationId: number, groupInstanceId: string | null = null): number {
    return this.run((shard, op) => shard.heartbeat(op, { groupId, memberId, generationId, groupInstanceId }));
  }

  /** Moves time forward and runs the timers that are due. */
  advance(ms: number): void {
    this.now += ms;
    // Like the runtime's timer, which fires again while deadlines are due.
    for (let i = 0; i < 100 && this.shard.nextDeadline() <= this.now; i++) this.run((shard, op) => shard.tick(op));
  }

  group(groupId: string) {
    const g = this.shard.groups.get(groupId);
    if (!g) throw new Error(`no group ${groupId}`);
    return g;
  }
}
