/**
 * Partition reassignment decisions (AlterPartitionReassignments, KIP-455),
 * pure. Mirrors Kafka's PartitionReassignmentReplicas and
 * ReplicationControlManager.changePartitionReassignment:
 *
 * - a target set is validated (non-empty, no duplicates, every broker
 *   registered: INVALID_REPLICA_ASSIGNMENT);
 * - the original replicas are the current ones minus those being added (a
 *   new target replaces an ongoing reassignment);
 * - while moving, replicas = target followed by the originals leaving;
 *   adding = target − original, removing = original − target; the new
 *   replicas join as followers and the leader's AlterPartition completes
 *   the move once they are all in the ISR (partition-changes.ts);
 * - with nothing to add the move completes at once (if the target keeps an
 *   ISR member);
 * - cancelling (target null) reverts to the originals, or is
 *   NO_REASSIGNMENT_IN_PROGRESS.
 */
import type { MetadataImage, PartitionImage } from '../controller/metadata-image.js';
import { KafkaError } from '../api/error-codes.js';
import { completeReassignment, electLeader, isLive, type PartitionChange } from './partition-changes.js';

export function validateTarget(image: MetadataImage, target: readonly number[]): void {
  if (target.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'The manual partition assignment includes an empty replica list.');
  if (new Set(target).size !== target.length) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes duplicate replicas: ${target.join(',')}`);
  for (const id of target) {
    if (!image.brokers.has(id)) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `The manual partition assignment includes broker ${id}, but no such broker is registered.`);
  }
}

/** The change a reassignment request makes to one partition (null: nothing to do); throws KafkaError. */
export function reassignmentChange(image: MetadataImage, topicId: string, p: PartitionImage, target: readonly number[] | null): PartitionChange | null {
  const live = (id: number): boolean => isLive(image, id);
  const original = p.replicas.filter((r) => !p.addingReplicas.includes(r));
  const ongoing = p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
  if (target === null) {
    if (!ongoing) throw new KafkaError('NO_REASSIGNMENT_IN_PROGRESS', `No reassignment is in progress for partition ${p.partition}`);
    return revert(topicId, p, original, live);
  }
  validateTarget(image, target);
  const adding = target.filter((r) => !original.includes(r));
  const removing = original.filter((r) => !target.includes(r));
  const same = adding.length === 0 && removing.length === 0 && target.every((r, i) => original[i] === r);
  if (same && !ongoing) return null;
  const moving: PartitionImage = { ...p, replicas: [...target, ...removing], addingReplicas: adding, removingReplicas: removing };
  if (adding.length === 0) {
    // Nothing to copy: done now, if the target keeps someone in sync.
    const done = completeReassignment(topicId, moving, p.isr, live);
    if (done) return { ...done, leader: done.leader ?? p.leader };
  }
  const isr = p.isr.filter((r) => moving.replicas.includes(r));
  return { topicId, partitionId: p.partition, replicas: moving.replicas, addingReplicas: adding, removingReplicas: removing, ...(isr.length !== p.isr.length ? { isr } : {}) };
}

function revert(topicId: string, p: PartitionImage, original: readonly number[], live: (id: number) => boolean): PartitionChange {
  const kept = p.isr.filter((r) => original.includes(r));
  const isr = kept.length > 0 ? kept : p.isr;
  const base = { topicId, partitionId: p.partition, replicas: original, isr, addingReplicas: [], removingReplicas: [] };
  // The cancelled replicas must stop fetching: bump the epoch (electing anew if the leader was one of them).
  if (original.includes(p.leader) && live(p.leader)) return { ...base, leader: p.leader };
  const e = electLeader(original, kept, live, false);
  return { ...base, leader: e ? e.leader : -1 };
}
