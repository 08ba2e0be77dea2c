/**
 * One write operation on a coordinator shard, Kafka's CoordinatorResult
 * turned inside out: the shard's synchronous decision fills it with the
 * records to append to the shard's __consumer_offsets partition and with
 * hooks to run once the append succeeded or failed. The runtime
 * (coordinator-runtime.ts) appends the records, replays them into the
 * shard, runs the hooks, and only then delivers the replies the decision
 * produced, so no client hears of a change before it is durable. A
 * transactional offset commit sets `producer`: its records are written as
 * that producer's transactional batch.
 */
import type { Logger } from 'pino';
import type { GroupConfig } from './group-config.js';
import type { GroupRecord } from './group-records.js';
import type { RuntimeOp, TxnProducer } from './coordinator-runtime.js';

export class GroupOp implements RuntimeOp<GroupRecord, GroupOp> {
  readonly records: GroupRecord[] = [];
  readonly onSuccess: Array<() => void> = [];
  /** Run when the append failed, with the mapped error code and an op for any follow-up records. */
  readonly onFailure: Array<(errorCode: number, next: GroupOp) => void> = [];
  /** TxnOffsetCommit: the records are the producer's transactional batch. */
  producer: TxnProducer | null = null;

  constructor(readonly now: number) {}
}

/** What the pure coordinator code needs from outside: settings, ids, a logger. */
export interface ShardEnv {
  readonly config: GroupConfig;
  /** A fresh member id: prefix + "-" + a random UUID, like Kafka. */
  newMemberId(prefix: string): string;
  readonly log: Logger;
}
