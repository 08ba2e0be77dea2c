/**
 * The controller's partition decisions, pure and synchronous: given the
 * metadata image, which PartitionChangeRecords a broker fencing, an
 * unfencing, an AlterPartition or a leader election produces. The
 * controller (quorum-controller.ts) commits what these return; tests
 * drive them with tables (test/unit/replication/partition-changes.test.ts).
 *
 * Mirrors Kafka's ReplicationControlManager and PartitionChangeBuilder:
 * - a leader is elected from the live ISR in replica order (the preferred
 *   replica first); without one, from any live replica only when
 *   unclean.leader.election.enable is on (the ISR becomes that replica),
 *   else the partition goes offline (leader -1) keeping its last ISR member
 *   so it can lead again when it returns;
 * - a fenced (or shutting-down) broker leaves every ISR, except as the last
 *   member, and leadership moves off it;
 * - every record that sets a leader bumps the leader epoch (also to fence
 *   removed replicas when a reassignment completes).
 */
import type { MetadataImage, PartitionImage } from '../controller/metadata-image.js';
import type { ErrorName } from '../api/error-codes.js';
import type { MetadataRecordInput } from '../controller/metadata-records.js';
import type { IsrMember } from './isr-manager.js';

export const NO_LEADER = -1;

export interface PartitionChange {
  readonly topicId: string;
  readonly partitionId: number;
  readonly isr?: readonly number[];
  /** Unset: leader unchanged. Set (even to the same broker): new leader epoch. */
  readonly leader?: number;
  readonly replicas?: readonly number[];
  readonly addingReplicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
}

/** Registered and unfenced: may lead and be in an ISR. */
export function isLive(image: MetadataImage, id: number): boolean {
  const b = image.brokers.get(id);
  return b !== undefined && !b.fenced;
}

export interface Election {
  readonly leader: number;
  readonly isr: readonly number[];
}

/** First live ISR member in replica order; else (unclean) first live replica with the ISR reset to it; else null. */
export function electLeader(replicas: readonly number[], isr: readonly number[], live: (id: number) => boolean, unclean: boolean): Election | null {
  const clean = replicas.find((r) => isr.includes(r) && live(r));
  if (clean !== undefined) return { leader: clean, isr };
  if (!unclean) return null;
  const any = replicas.find(live);
  return any === undefined ? null : { leader: any, isr: [any] };
}

/** The change that takes `brokerId` out of a partition's ISR and leadership, or null when it has no part in either. */
function withoutBroker(topicId: string, p: PartitionImage, brokerId: number, live: (id: number) => boolean, unclean: boolean): PartitionChange | null {
  if (!p.isr.includes(brokerId) && p.leader !== brokerId) return null;
  const rest = p.isr.filter((r) => r !== brokerId);
  const isr = rest.length > 0 ? rest : p.isr;
  if (p.leader !== brokerId && p.leader !== NO_LEADER) return rest.length === p.isr.length ? null : { topicId, partitionId: p.partition, isr };
  const e = electLeader(p.replicas, rest, live, unclean);
  if (e) return { topicId, partitionId: p.partition, isr: e.isr, leader: e.leader };
  // Nobody else may lead: offline, keeping the last ISR member for when it returns.
  if (p.leader === NO_LEADER && isr === p.isr) return null;
  return { topicId, partitionId: p.partition, isr, leader: NO_LEADER };
}

export interface TopicPolicy {
  /** unclean.leader.election.enable of the topic. */
  readonly unclean: (topic: string) => boolean;
}

/** A broker is fenced or shutting down: it leaves every ISR it can, leadership moves (Kafka's handleBrokerFenced). */
export function brokerRemovedChanges(image: MetadataImage, brokerId: number, policy: TopicPolicy): PartitionChange[] {
  const live = (id: number): boolean => id !== brokerId && isLive(image, id);
  const out: PartitionChange[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      const c = p && withoutBroker(t.id, p, brokerId, live, policy.unclean(t.name));
      if (c) out.push(c);
    }
  }
  return out;
}

/** Partitions without a leader get one now that a broker is live again (Kafka's handleBrokerUnfenced). */
export function offlinePartitionChanges(image: MetadataImage, live: (id: number) => boolean, policy: TopicPolicy): PartitionChange[] {
  const out: PartitionChange[] = [];
  for (const t of image.topics.values()) {
    for (const p of t.partitions) {
      if (!p || p.leader !== NO_LEADER) continue;
      const e = electLeader(p.replicas, p.isr, live, policy.unclean(t.name));
      if (e) out.push({ topicId: t.id, partitionId: p.partition, isr: e.isr, leader: e.leader });
    }
  }
  return out;
}

export type ElectionType = 'preferred' | 'unclean';

/** ElectLeaders for one partition: the change, or why there is none (Kafka's electLeader). */
export function electionChange(topicId: string, p: PartitionImage, type: ElectionType, live: (id: number) => boolean): PartitionChange | ErrorName {
  if (type === 'preferred') {
    const preferred = p.replicas[0];
    if (preferred === undefined) return 'PREFERRED_LEADER_NOT_AVAILABLE';
    if (p.leader === preferred) return 'ELECTION_NOT_NEEDED';
    if (!p.isr.includes(preferred) || !live(preferred)) return 'PREFERRED_LEADER_NOT_AVAILABLE';
    return { topicId, partitionId: p.partition, leader: preferred };
  }
  if (p.leader !== NO_LEADER && live(p.leader)) return 'ELECTION_NOT_NEEDED';
  const e = electLeader(p.replicas, p.isr, live, true);
  if (!e) return 'ELIGIBLE_LEADERS_NOT_AVAILABLE';
  return { topicId, partitionId: p.partition, leader: e.leader, isr: e.isr };
}

export interface AlterPartitionData {
  readonly brokerId: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly newIsr: readonly IsrMember[];
}

/** Kafka's validateAlterPartitionData, in its order. null: valid. */
export function validateAlterPartition(image: MetadataImage, p: PartitionImage | undefined, d: AlterPartitionData, version = 3): ErrorName | null {
  if (!p) return 'UNKNOWN_TOPIC_OR_PARTITION';
  if (d.leaderEpoch > p.leaderEpoch || d.partitionEpoch > p.partitionEpoch) return 'NOT_CONTROLLER';
  if (d.leaderEpoch < p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
  if (d.brokerId !== p.leader) return 'INVALID_REQUEST';
  if (d.partitionEpoch < p.partitionEpoch) return 'INVALID_UPDATE_VERSION';
  const ids = d.newIsr.map((m) => m.brokerId);
  if (new Set(ids).size !== ids.length || ids.some((id) => !p.replicas.includes(id))) return 'INVALID_REQUEST';
  if (!ids.includes(p.leader)) return 'INVALID_REQUEST';
  const ineligible = d.newIsr.some((m) => {
    const b = image.brokers.get(m.brokerId);
    return !b || b.fenced || (m.brokerEpoch !== -1n && m.brokerEpoch !== b.epoch);
  });
  if (ineligible) return version > 1 ? 'INELIGIBLE_REPLICA' : 'OPERATION_NOT_ATTEMPTED';
  return null;
}

/**
 * The change an accepted AlterPartition makes: the new ISR, and, when it
 * completes a reassignment (every target replica in sync), the target
 * replica set with a leader from it. null when nothing changes.
 */
export function alterPartitionChange(topicId: string, p: PartitionImage, newIsr: readonly number[], live: (id: number) => boolean): PartitionChange | null {
  const completed = completeReassignment(topicId, p, newIsr, live);
  if (completed) return completed;
  const same = newIsr.length === p.isr.length && newIsr.every((id) => p.isr.includes(id));
  return same ? null : { topicId, partitionId: p.partition, isr: newIsr };
}

/** An ongoing reassignment completes once every target replica is in the ISR. */
export function completeReassignment(topicId: string, p: PartitionImage, isr: readonly number[], live: (id: number) => boolean): PartitionChange | null {
  if (p.addingReplicas.length === 0 && p.removingReplicas.length === 0) return null;
  const target = p.replicas.filter((r) => !p.removingReplicas.includes(r));
  if (!target.every((r) => isr.includes(r))) return null;
  const newIsr = isr.filter((r) => target.includes(r));
  if (newIsr.length === 0) return null;
  const leader = target.includes(p.leader) && live(p.leader) ? p.leader : electLeader(target, newIsr, live, false)?.leader;
  if (leader === undefined) return null;
  // Setting the leader (even unchanged) bumps the epoch, which fences removed replicas.
  const bump = leader !== p.leader || p.removingReplicas.length > 0;
  return { topicId, partitionId: p.partition, replicas: target, isr: newIsr, ...(bump ? { leader } : {}), addingReplicas: [], removingReplicas: [] };
}

/** The PartitionChangeRecord of a change (-2: leader unchanged; null lists: unchanged). */
export function toChangeRecord(c: PartitionChange): MetadataRecordInput {
  return {
    type: 'PartitionChange',
    data: {
      topicId: c.topicId,
      partitionId: c.partitionId,
      leader: c.leader ?? -2,
      isr: c.isr ? [...c.isr] : null,
      replicas: c.replicas ? [...c.replicas] : null,
      addingReplicas: c.addingReplicas ? [...c.addingReplicas] : null,
      removingReplicas: c.removingReplicas ? [...c.removingReplicas] : null,
    },
  };
}
