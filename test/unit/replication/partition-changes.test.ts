/** The controller's partition decisions (ReplicationControlManager semantics), table-tested. */
import { describe, expect, it } from 'vitest';
import {
  alterPartitionChange,
  brokerRemovedChanges,
  electionChange,
  electLeader,
  isLive,
  offlinePartitionChanges,
  toChangeRecord,
  validateAlterPartition,
} from '../../../src/replication/partition-changes.js';
import { imageWith, replay, TOPIC_ID } from './image-helpers.js';

const clean = { unclean: () => false };
const unclean = { unclean: () => true };

describe('electLeader', () => {
  const live = (id: number): boolean => id !== 1;
  it.each([
    ['first live ISR member in replica order', [1, 2, 3], [3, 2, 1], false, { leader: 2, isr: [3, 2, 1] }],
    ['no live ISR member, clean: none', [1, 2, 3], [1], false, null],
    ['no live ISR member, unclean: first live replica, ISR reset', [1, 2, 3], [1], true, { leader: 2, isr: [2] }],
  ] as const)('%s', (_n, replicas, isr, u, want) => {
    expect(electLeader(replicas, isr, live, u)).toEqual(want);
  });
});

describe('brokerRemovedChanges (fencing, controlled shutdown)', () => {
  it('moves leadership to the next live ISR member and drops the broker from ISRs', () => {
    const image = imageWith(3, [
      { replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 },
      { replicas: [2, 1, 3], isr: [2, 1, 3], leader: 2 },
      { replicas: [2, 3, 1], isr: [2, 3], leader: 2 },
    ]);
    expect(brokerRemovedChanges(image, 1, clean)).toEqual([
      { topicId: TOPIC_ID, partitionId: 0, isr: [2, 3], leader: 2 },
      { topicId: TOPIC_ID, partitionId: 1, isr: [2, 3] },
    ]);
  });

  it('the last ISR member stays in the ISR and the partition goes offline (clean)', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1], leader: 1 }]);
    expect(brokerRemovedChanges(image, 1, clean)).toEqual([{ topicId: TOPIC_ID, partitionId: 0, isr: [1], leader: -1 }]);
  });

  it('with unclean election a live out-of-sync replica takes over', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1], leader: 1 }]);
    expect(brokerRemovedChanges(image, 1, unclean)).toEqual([{ topicId: TOPIC_ID, partitionId: 0, isr: [2], leader: 2 }]);
  });

  it('skips fenced brokers when electing', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }], [2]);
    expect(brokerRemovedChanges(image, 1, clean)).toEqual([{ topicId: TOPIC_ID, partitionId: 0, isr: [2, 3], leader: 3 }]);
  });
});

describe('offlinePartitionChanges (unfencing, registration)', () => {
  it('elects a returning ISR member', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1], leader: -1 }, { replicas: [2, 3, 1], isr: [2, 3, 1], leader: 2 }]);
    expect(offlinePartitionChanges(image, (id) => isLive(image, id), clean)).toEqual([{ topicId: TOPIC_ID, partitionId: 0, isr: [1], leader: 1 }]);
  });
  it('leaves the partition offline when its ISR is still away', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1], leader: -1 }], [1]);
    expect(offlinePartitionChanges(image, (id) => isLive(image, id), clean)).toEqual([]);
  });
});

describe('electionChange (ElectLeaders)', () => {
  const live = (id: number): boolean => id !== 3;
  it.each([
    ['preferred already leads', { replicas: [1, 2], isr: [1, 2], leader: 1 }, 'preferred', 'ELECTION_NOT_NEEDED'],
    ['preferred in sync', { replicas: [1, 2], isr: [1, 2], leader: 2 }, 'preferred', { topicId: TOPIC_ID, partitionId: 0, leader: 1 }],
    ['preferred out of sync', { replicas: [1, 2], isr: [2], leader: 2 }, 'preferred', 'PREFERRED_LEADER_NOT_AVAILABLE'],
    ['preferred down', { replicas: [3, 2], isr: [3, 2], leader: 2 }, 'preferred', 'PREFERRED_LEADER_NOT_AVAILABLE'],
    ['unclean with a live leader', { replicas: [1, 2], isr: [1], leader: 1 }, 'unclean', 'ELECTION_NOT_NEEDED'],
    ['unclean without', { replicas: [3, 2], isr: [3], leader: -1 }, 'unclean', { topicId: TOPIC_ID, partitionId: 0, leader: 2, isr: [2] }],
    ['unclean, nobody live', { replicas: [3], isr: [3], leader: -1 }, 'unclean', 'ELIGIBLE_LEADERS_NOT_AVAILABLE'],
  ] as const)('%s', (_n, spec, type, want) => {
    const image = imageWith(3, [{ ...spec, replicas: [...spec.replicas], isr: [...spec.isr] }]);
    expect(electionChange(TOPIC_ID, image.partition('t', 0)!, type, live)).toEqual(want);
  });
});

describe('validateAlterPartition (Kafka order)', () => {
  const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1, 2], leader: 1 }], [3]);
  const p = image.partition('t', 0)!;
  const m = (...ids: number[]) => ids.map((brokerId) => ({ brokerId, brokerEpoch: -1n }));
  it.each([
    ['valid shrink', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(1) }, null],
    ['leader epoch ahead', { brokerId: 1, leaderEpoch: 6, partitionEpoch: 7, newIsr: m(1) }, 'NOT_CONTROLLER'],
    ['partition epoch ahead', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 8, newIsr: m(1) }, 'NOT_CONTROLLER'],
    ['stale leader epoch', { brokerId: 1, leaderEpoch: 4, partitionEpoch: 7, newIsr: m(1) }, 'FENCED_LEADER_EPOCH'],
    ['not the leader', { brokerId: 2, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(2) }, 'INVALID_REQUEST'],
    ['stale partition epoch', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 6, newIsr: m(1) }, 'INVALID_UPDATE_VERSION'],
    ['ISR without the leader', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(2) }, 'INVALID_REQUEST'],
    ['ISR outside the replicas', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(1, 4) }, 'INVALID_REQUEST'],
    ['fenced member', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(1, 2, 3) }, 'INELIGIBLE_REPLICA'],
    ['stale member broker epoch', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: [{ brokerId: 1, brokerEpoch: -1n }, { brokerId: 2, brokerEpoch: 99n }] }, 'INELIGIBLE_REPLICA'],
    ['current member broker epoch', { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: [{ brokerId: 1, brokerEpoch: 101n }, { brokerId: 2, brokerEpoch: 102n }] }, null],
  ] as const)('%s', (_n, d, want) => {
    expect(validateAlterPartition(image, p, d)).toBe(want);
  });
  it('unknown partition', () => {
    expect(validateAlterPartition(image, undefined, { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(1) })).toBe('UNKNOWN_TOPIC_OR_PARTITION');
  });
  it('OPERATION_NOT_ATTEMPTED for ineligible members before v2', () => {
    expect(validateAlterPartition(image, p, { brokerId: 1, leaderEpoch: 5, partitionEpoch: 7, newIsr: m(1, 3) }, 1)).toBe('OPERATION_NOT_ATTEMPTED');
  });
});

describe('alterPartitionChange and the image', () => {
  it('an ISR change keeps the leader epoch and bumps the partition epoch; a leader change bumps both', () => {
    const image = imageWith(3, [{ replicas: [1, 2, 3], isr: [1, 2, 3], leader: 1 }]);
    const p = image.partition('t', 0)!;
    const live = (id: number): boolean => isLive(image, id);
    expect(alterPartitionChange(TOPIC_ID, p, [1, 2, 3], live)).toBeNull();
    const shrink = alterPartitionChange(TOPIC_ID, p, [1, 2], live)!;
    const after = replay(image, [toChangeRecord(shrink)]).partition('t', 0)!;
    expect(after).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 5, partitionEpoch: 8 });
    const moved = replay(image, [toChangeRecord({ topicId: TOPIC_ID, partitionId: 0, leader: 1 })]).partition('t', 0)!;
    expect(moved).toMatchObject({ leader: 1, leaderEpoch: 6, partitionEpoch: 8 });
  });
});
