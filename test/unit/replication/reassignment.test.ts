/** Partition reassignment decisions (KIP-455), table-tested. */
import { describe, expect, it } from 'vitest';
import { KafkaError } from '../../../src/api/error-codes.js';
import { alterPartitionChange, isLive, toChangeRecord } from '../../../src/replication/partition-changes.js';
import { reassignmentChange } from '../../../src/replication/reassignment.js';
import { imageWith, replay, TOPIC_ID } from './image-helpers.js';

const errorOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    return err instanceof KafkaError ? err.kafkaError : String(err);
  }
};

describe('reassignmentChange', () => {
  const image = imageWith(4, [{ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }]);
  const p = image.partition('t', 0)!;

  it('starts a move: target first, leaving replicas after, adding and removing listed', () => {
    expect(reassignmentChange(image, TOPIC_ID, p, [2, 3, 4])).toEqual({ topicId: TOPIC_ID, partitionId: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] });
  });

  it('the same replicas: nothing to do', () => {
    expect(reassignmentChange(image, TOPIC_ID, p, [1, 2, 3])).toBeNull();
  });

  it('only removing: completes at once with a new leader epoch, leader moved off the removed replica', () => {
    expect(reassignmentChange(image, TOPIC_ID, p, [2, 3])).toEqual({ topicId: TOPIC_ID, partitionId: 0, replicas: [2, 3], isr: [2, 3], leader: 2, addingReplicas: [], removingReplicas: [] });
  });

  it.each([
    ['empty', [], 'INVALID_REPLICA_ASSIGNMENT'],
    ['duplicates', [1, 1, 2], 'INVALID_REPLICA_ASSIGNMENT'],
    ['unregistered broker', [1, 2, 9], 'INVALID_REPLICA_ASSIGNMENT'],
    ['cancel without a move', null, 'NO_REASSIGNMENT_IN_PROGRESS'],
  ] as const)('refuses: %s', (_n, target, want) => {
    expect(errorOf(() => reassignmentChange(image, TOPIC_ID, p, target === null ? null : [...target]))).toBe(want);
  });

  it('completes when the new replicas are in sync (through AlterPartition), fencing the removed one', () => {
    const moving = replay(image, [toChangeRecord(reassignmentChange(image, TOPIC_ID, p, [2, 3, 4])!)]);
    const mp = moving.partition('t', 0)!;
    expect(mp).toMatchObject({ replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1], leader: 1 });
    const live = (id: number): boolean => isLive(moving, id);
    expect(alterPartitionChange(TOPIC_ID, mp, [1, 2, 3], live)).toBeNull();
    const done = alterPartitionChange(TOPIC_ID, mp, [1, 2, 3, 4], live)!;
    expect(done).toEqual({ topicId: TOPIC_ID, partitionId: 0, replicas: [2, 3, 4], isr: [2, 3, 4], leader: 2, addingReplicas: [], removingReplicas: [] });
    const after = replay(moving, [toChangeRecord(done)]).partition('t', 0)!;
    expect(after).toMatchObject({ replicas: [2, 3, 4], isr: [2, 3, 4], leader: 2, leaderEpoch: 6, addingReplicas: [], removingReplicas: [] });
  });

  it('cancelling reverts to the original replicas (in the moving order, as Kafka\'s revert keeps it)', () => {
    const moving = replay(image, [toChangeRecord(reassignmentChange(image, TOPIC_ID, p, [2, 3, 4])!)]);
    const c = reassignmentChange(moving, TOPIC_ID, moving.partition('t', 0)!, null)!;
    expect(c).toEqual({ topicId: TOPIC_ID, partitionId: 0, replicas: [2, 3, 1], isr: [1, 2, 3], addingReplicas: [], removingReplicas: [], leader: 1 });
  });
});
