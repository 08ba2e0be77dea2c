/**
 * The leader's side of ISR changes (Kafka's Partition.maybeShrinkIsr /
 * maybeExpandIsr and AlterPartitionManager): decides with the pure
 * isr-policy functions, then proposes the new ISR to the controller with
 * AlterPartition, one change in flight per partition. While a change is
 * pending the partition waits for the wider ISR (KIP-497). The answer (or
 * the metadata image carrying the change, whichever comes first) commits
 * it; a refusal drops the proposal and the next check tries again.
 *
 * The shrink check runs every replica.lag.time.max.ms / 2; expansion is
 * checked on every follower fetch.
 */
import type { Logger } from 'pino';
import type { MetadataImage } from '../controller/metadata-image.js';
import { ErrorCode } from '../api/error-codes.js';
import type { Partition } from './partition.js';
import { outOfSyncReplicas, shouldExpandIsr } from './isr-policy.js';

export interface IsrMember {
  readonly brokerId: number;
  readonly brokerEpoch: bigint;
}

export interface AlterPartitionItem {
  readonly brokerId: number;
  readonly brokerEpoch: bigint;
  readonly topicId: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly newIsr: readonly IsrMember[];
  readonly partitionEpoch: number;
}

export interface AlterPartitionOutcome {
  readonly errorCode: number;
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
}

/** Where ISR changes go: the controller (in process now; over AlterPartition once the controller is remote). */
export interface PartitionStateController {
  alterPartition(item: AlterPartitionItem): Promise<AlterPartitionOutcome>;
}

export interface IsrManagerDeps {
  readonly nodeId: number;
  readonly image: () => MetadataImage | null;
  readonly controller: PartitionStateController | null;
  readonly replicaLagTimeMaxMs: number;
  readonly log: Logger;
  /** The committed ISR changed: re-check the high watermark and waiting produces. */
  readonly onIsrChanged: (p: Partition) => void;
}

export class IsrManager {
  constructor(private readonly deps: IsrManagerDeps) {}

  /** May this follower be in the ISR: registered, unfenced, and fetching with its current broker epoch. */
  eligible(id: number, brokerEpoch: bigint): boolean {
    const b = this.deps.image()?.brokers.get(id);
    if (!b || b.fenced) return false;
    return brokerEpoch === -1n || brokerEpoch === b.epoch;
  }

  /** Periodic check: drops lagging followers from the ISR. */
  maybeShrink(p: Partition, nowMs: number): void {
    if (!p.isLeader || p.pendingIsr) return;
    const out = outOfSyncReplicas({
      leaderId: this.deps.nodeId,
      isr: p.isr,
      followers: p.followerProgress((id, e) => this.eligible(id, e)),
      leaderLogEndOffset: p.log.logEndOffset,
      nowMs,
      replicaLagTimeMaxMs: this.deps.replicaLagTimeMaxMs,
    });
    if (out.length === 0) return;
    const isr = p.isr.filter((id) => !out.includes(id));
    this.deps.log.info({ topic: p.topic, partition: p.index, isr: p.isr, outOfSync: out, highWatermark: p.highWatermark, logEndOffset: p.log.logEndOffset }, 'shrinking the ISR');
    this.propose(p, 'shrink', isr, p.isr);
  }

  /** After a follower's fetch: adds it back to the ISR once it has caught up. */
  maybeExpand(p: Partition, followerId: number): void {
    if (!p.isLeader || p.pendingIsr) return;
    const f = p.followers.get(followerId);
    if (!f) return;
    const expand = shouldExpandIsr({
      follower: { id: f.id, logEndOffset: f.logEndOffset, lastCaughtUpMs: f.lastCaughtUpMs, isrEligible: this.eligible(f.id, f.brokerEpoch) },
      isr: p.isr,
      highWatermark: p.highWatermark,
      leaderEpochStartOffset: p.leaderEpochStartOffset,
    });
    if (!expand) return;
    const isr = [...p.isr, followerId];
    this.deps.log.info({ topic: p.topic, partition: p.index, isr: p.isr, adding: followerId }, 'expanding the ISR');
    this.propose(p, 'expand', isr, isr);
  }

  private propose(p: Partition, kind: 'expand' | 'shrink', isr: number[], maximal: readonly number[]): void {
    const controller = this.deps.controller;
    const self = this.deps.image()?.brokers.get(this.deps.nodeId);
    if (!controller || !self) return;
    const pending = { kind, isr, maximal, partitionEpoch: p.partitionEpoch };
    p.pendingIsr = pending;
    const leaderEpoch = p.leaderEpoch;
    const newIsr = isr.map((id) => ({ brokerId: id, brokerEpoch: id === this.deps.nodeId ? self.epoch : (p.followers.get(id)?.brokerEpoch ?? -1n) }));
    const settle = (outcome: AlterPartitionOutcome | null): void => {
      if (p.pendingIsr !== pending) return; // superseded (a newer image or a new epoch)
      if (outcome && outcome.errorCode === ErrorCode.NONE && outcome.leaderEpoch === leaderEpoch) p.commitIsr(outcome.isr, outcome.partitionEpoch);
      else p.pendingIsr = null;
      if (outcome && outcome.errorCode !== ErrorCode.NONE) {
        this.deps.log.info({ topic: p.topic, partition: p.index, kind, isr, errorCode: outcome.errorCode }, 'the controller refused an ISR change');
      }
      this.deps.onIsrChanged(p);
    };
    controller
      .alterPartition({ brokerId: this.deps.nodeId, brokerEpoch: self.epoch, topicId: p.topicId, partition: p.index, leaderEpoch, newIsr, partitionEpoch: p.partitionEpoch })
      .then(settle, (err: unknown) => {
        this.deps.log.warn({ err, topic: p.topic, partition: p.index }, 'AlterPartition failed');
        settle(null);
      });
  }
}

/** The controller's alterPartition as a PartitionStateController (the in-process controller's positional form). */
export function controllerClient(c: {
  alterPartition(brokerId: number, brokerEpoch: bigint, topicId: string, partition: number, leaderEpoch: number, newIsr: readonly IsrMember[], partitionEpoch: number): Promise<AlterPartitionOutcome>;
}): PartitionStateController {
  return { alterPartition: (i) => c.alterPartition(i.brokerId, i.brokerEpoch, i.topicId, i.partition, i.leaderEpoch, i.newIsr, i.partitionEpoch) };
}
