/**
 * Transactional offsets on a group coordinator shard: pending per producer
 * until the producer's marker, committed on commit (unless a later record
 * committed the partition), dropped on abort; require_stable sees them as
 * UNSTABLE_OFFSET_COMMIT; TxnOffsetCommit's group rules.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/api/error-codes.js';
import { GROUP_CONFIG_DEFAULTS } from '../../../src/group/group-config.js';
import { GroupOp } from '../../../src/group/group-op.js';
import { offsetRecord } from '../../../src/group/group-records.js';
import { GroupShard } from '../../../src/group/group-shard.js';

const env = { config: GROUP_CONFIG_DEFAULTS, newMemberId: (p: string) => `${p}-1`, log: pino({ level: 'silent' }) };
const value = (offset: bigint) => ({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1n, expireTimestamp: -1n });
const committed = (s: GroupShard, requireStable = false) => s.fetchOffsets('g', [{ name: 't', partitionIndexes: [0] }], requireStable)[0].partitions[0];

function shard(): GroupShard {
  const s = new GroupShard(0, env);
  s.finishLoad(0);
  return s;
}

describe('transactional offsets on a group shard', () => {
  it('stay pending until the commit marker, and go with an abort marker', () => {
    const s = shard();
    s.replay(offsetRecord('g', 't', 0, value(5n)), 0, { offset: 10, producerId: 7n });
    expect(committed(s)).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    expect(committed(s, true)).toMatchObject({ committedOffset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    s.replayEndMarker(7n, true);
    expect(committed(s, true)).toMatchObject({ committedOffset: 5n, errorCode: 0 });

    s.replay(offsetRecord('g', 't', 0, value(9n)), 0, { offset: 11, producerId: 8n });
    s.replayEndMarker(8n, false);
    expect(committed(s, true)).toMatchObject({ committedOffset: 5n, errorCode: 0 });
    expect(s.pendingTxnOffsets.has('g')).toBe(false);
  });

  it('keeps a later plain commit over an earlier transactional one', () => {
    const s = shard();
    s.replay(offsetRecord('g', 't', 0, value(5n)), 0, { offset: 10, producerId: 7n });
    s.replay(offsetRecord('g', 't', 0, value(6n)), 0, { offset: 11, producerId: -1n });
    s.replayEndMarker(7n, true);
    expect(committed(s).committedOffset).toBe(6n);
  });

  it('drops pending offsets of a partition on its tombstone', () => {
    const s = shard();
    s.replay(offsetRecord('g', 't', 0, value(5n)), 0, { offset: 10, producerId: 7n });
    s.replay(offsetRecord('g', 't', 0, null), 0, { offset: 11, producerId: -1n });
    expect(s.pendingTxnOffsets.has('g', 't', 0)).toBe(false);
    s.replayEndMarker(7n, true);
    expect(committed(s).committedOffset).toBe(-1n);
  });

  it('validates TxnOffsetCommit like Kafka and writes the producer\'s transactional batch', () => {
    const s = shard();
    const request = { transactionalId: 'x', groupId: 'g', producerId: 3n, producerEpoch: 1, generationId: 4, memberId: 'm', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] };
    const input = (apiVersion: number, req = request) => ({ request: req, apiVersion, partitionExists: (topic: string) => topic === 't' });
    // A generation for a group that does not exist.
    expect(() => s.commitTransactionalOffsets(new GroupOp(0), input(3))).toThrow('ILLEGAL_GENERATION');
    // v0-2 carry no member: a simple group is made, the records are the producer's.
    const op = new GroupOp(0);
    expect(s.commitTransactionalOffsets(op, input(2))[0].partitions?.[0]).toEqual({ partitionIndex: 0, errorCode: 0 });
    expect(op.producer).toEqual({ producerId: 3n, producerEpoch: 1 });
    expect(op.records).toHaveLength(1);
    const unknown = new GroupOp(0);
    const r = s.commitTransactionalOffsets(unknown, input(2, { ...request, topics: [{ name: 'nope', partitions: request.topics[0].partitions }] }));
    expect(r[0].partitions?.[0]?.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(unknown.records).toHaveLength(0);
  });
});
