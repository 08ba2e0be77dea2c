/**
 * Pure pieces of topic changes: a topic's config overrides after an
 * AlterConfigs or IncrementalAlterConfigs (validated as Kafka validates
 * them), and the PartitionRecord of a new partition.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { TOPIC_CONFIG_DEFS, topicConfigValue, validateTopicConfig } from '../config/topic-config.js';
import { KafkaError } from '../api/error-codes.js';
import type { MetadataRecordInput } from './metadata-records.js';
import type { TopicConfigChange } from './controller-types.js';

/** A topic's overrides after the changes; throws KafkaError(INVALID_CONFIG) on a bad name, value or op. */
export function alteredOverrides(current: ReadonlyMap<string, string>, change: TopicConfigChange, broker: BrokerConfig): Map<string, string> {
  const next = change.mode === 'replace' ? new Map<string, string>() : new Map(current);
  for (const c of change.configs) {
    const def = TOPIC_CONFIG_DEFS.get(c.name);
    if (!def) throw new KafkaError('INVALID_CONFIG', `Unknown topic config name: ${c.name}`);
    let value: string | null = c.value;
    if (c.op === 'delete') value = null;
    else if (c.op === 'append' || c.op === 'subtract') {
      if (def.type !== 'list') throw new KafkaError('INVALID_CONFIG', `Can't ${c.op.toUpperCase()} to key ${c.name} because its type is not LIST.`);
      const parts = (next.get(c.name) ?? topicConfigValue(c.name, next, broker) ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const given = (c.value ?? '').split(',').map((x) => x.trim()).filter(Boolean);
      const merged = c.op === 'append' ? [...parts, ...given.filter((g) => !parts.includes(g))] : parts.filter((x) => !given.includes(x));
      value = merged.join(',');
    }
    const problem = validateTopicConfig(c.name, value);
    if (problem) throw new KafkaError('INVALID_CONFIG', problem);
    if (value === null) next.delete(c.name);
    else next.set(c.name, value);
  }
  const minLag = Number(topicConfigValue('min.compaction.lag.ms', next, broker));
  const maxLag = Number(topicConfigValue('max.compaction.lag.ms', next, broker));
  if (minLag > maxLag) throw new KafkaError('INVALID_CONFIG', `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`);
  return next;
}

export function partitionRecord(topicId: string, partitionId: number, replicas: number[]): MetadataRecordInput {
  return {
    type: 'Partition',
    data: { partitionId, topicId, replicas, isr: replicas, leader: replicas[0], leaderEpoch: 0, partitionEpoch: 0 },
  };
}
