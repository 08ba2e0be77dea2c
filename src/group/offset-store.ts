/**
 * Committed offsets of the groups of one coordinator shard, exactly as the
 * OffsetCommit records replayed so far left them: group → topic →
 * partition → the record's value, and the offset of that record in the
 * partition (-1 when not known), which decides whether a committed
 * transaction's offset replaces it. Only replay writes here. The same
 * structure holds one producer's pending transactional offsets.
 */
import type { OffsetCommitValue } from '../protocol/generated/group-coordinator/offset-commit-value.js';

export type CommittedOffset = OffsetCommitValue;

interface StoredOffset {
  readonly value: CommittedOffset;
  readonly recordOffset: number;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, StoredOffset>>>();

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)?.value;
  }

  /** Offset of the record that committed the partition's offset (-1 when not known), undefined when none is committed. */
  recordOffset(group: string, topic: string, partition: number): number | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition)?.recordOffset;
  }

  set(group: string, topic: string, partition: number, value: CommittedOffset, recordOffset = -1): void {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, { value, recordOffset });
  }

  delete(group: string, topic: string, partition: number): void {
    const topics = this.byGroup.get(group);
    const partitions = topics?.get(topic);
    if (!topics || !partitions) return;
    partitions.delete(partition);
    if (partitions.size === 0) topics.delete(topic);
    if (topics.size === 0) this.byGroup.delete(group);
  }

  hasOffsets(group: string): boolean {
    return this.byGroup.has(group);
  }

  /** Every committed offset of a group, topics and partitions in commit order. */
  *entries(group: string): Generator<{ topic: string; partition: number; value: CommittedOffset; recordOffset: number }> {
    const topics = this.byGroup.get(group);
    if (!topics) return;
    for (const [topic, partitions] of topics) {
      for (const [partition, stored] of partitions) yield { topic, partition, value: stored.value, recordOffset: stored.recordOffset };
    }
  }

  has(group: string, topic: string, partition: number): boolean {
    return this.byGroup.get(group)?.get(topic)?.has(partition) ?? false;
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}
