/**
 * Transactional offsets of one coordinator shard that await their
 * transaction's outcome (KIP-98 TxnOffsetCommit), as Kafka's
 * OffsetMetadataManager keeps them: per producer id, the offsets its open
 * transaction committed, each with the offset of its record. A commit
 * marker moves them into the committed offsets (unless a newer record has
 * committed the partition since); an abort marker drops them. A tombstone
 * for a partition also removes it from every open transaction of the
 * group. Only replay writes here.
 */
import type { CommittedOffset } from './offset-store.js';
import { OffsetStore } from './offset-store.js';

export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, OffsetStore>();
  /** Group → producers with pending offsets for it. */
  private readonly openByGroup = new Map<string, Set<bigint>>();

  add(producerId: bigint, group: string, topic: string, partition: number, value: CommittedOffset, recordOffset: number): void {
    let store = this.byProducer.get(producerId);
    if (!store) this.byProducer.set(producerId, (store = new OffsetStore()));
    store.set(group, topic, partition, value, recordOffset);
    let producers = this.openByGroup.get(group);
    if (!producers) this.openByGroup.set(group, (producers = new Set()));
    producers.add(producerId);
  }

  /** Removes and returns a producer's pending offsets (its transaction ended). */
  take(producerId: bigint): OffsetStore | undefined {
    const store = this.byProducer.get(producerId);
    if (!store) return undefined;
    this.byProducer.delete(producerId);
    for (const group of [...store.groups()]) {
      const producers = this.openByGroup.get(group);
      producers?.delete(producerId);
      if (producers?.size === 0) this.openByGroup.delete(group);
    }
    return store;
  }

  /** A tombstone for the partition: no open transaction keeps an offset for it. */
  removePartition(group: string, topic: string, partition: number): void {
    for (const producerId of this.openByGroup.get(group) ?? []) this.byProducer.get(producerId)?.delete(group, topic, partition);
  }

  /** Whether some open transaction has an offset for the group (and, when given, the partition). */
  has(group: string, topic?: string, partition?: number): boolean {
    const producers = this.openByGroup.get(group);
    if (!producers || producers.size === 0) return false;
    if (topic === undefined || partition === undefined) return true;
    for (const producerId of producers) if (this.byProducer.get(producerId)?.has(group, topic, partition)) return true;
    return false;
  }

  /** Every partition of the group with a pending offset. */
  *partitions(group: string): Generator<{ topic: string; partition: number }> {
    const seen = new Set<string>();
    for (const producerId of this.openByGroup.get(group) ?? []) {
      for (const { topic, partition } of this.byProducer.get(producerId)?.entries(group) ?? []) {
        const key = `${topic}\u0000${partition}`;
        if (seen.has(key)) continue;
        seen.add(key);
        yield { topic, partition };
      }
    }
  }
}
