/**
 * Committed offsets of the groups of one coordinator shard, exactly as the
 * OffsetCommit records replayed so far left them: group → topic →
 * partition → the record's value. Only replay writes here.
 */
import type { OffsetCommitValue } from '../protocol/generated/group-coordinator/offset-commit-value.js';

export type CommittedOffset = OffsetCommitValue;

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  set(group: string, topic: string, partition: number, value: CommittedOffset): void {
    let topics = this.byGroup.get(group);
    if (!topics) this.byGroup.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
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
  *entries(group: string): Generator<{ topic: string; partition: number; value: CommittedOffset }> {
    const topics = this.byGroup.get(group);
    if (!topics) return;
    for (const [topic, partitions] of topics) {
      for (const [partition, value] of partitions) yield { topic, partition, value };
    }
  }

  groups(): IterableIterator<string> {
    return this.byGroup.keys();
  }
}
