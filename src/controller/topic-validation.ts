/**
 * Pure checks and placement for topic creation, as Kafka's controller does
 * them: legal names, partition counts, replication factors, replica
 * assignment spread over live brokers.
 */
import { KafkaError } from '../api/error-codes.js';

const LEGAL = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;

export function validateTopicName(name: string): void {
  if (name.length === 0) throw new KafkaError('INVALID_TOPIC_EXCEPTION', 'Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new KafkaError('INVALID_TOPIC_EXCEPTION', 'Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL.test(name)) {
    throw new KafkaError('INVALID_TOPIC_EXCEPTION', `Topic name ${name} is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

/**
 * Replica lists for `count` new partitions, numbered from `firstPartition`:
 * round-robin over the live brokers from a start offset, so leaders (the
 * first replica) spread evenly.
 */
export function placeReplicas(brokers: readonly number[], count: number, replicationFactor: number, firstPartition: number, start: number): number[][] {
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      'INVALID_REPLICATION_FACTOR',
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
  const out: number[][] = [];
  for (let i = 0; i < count; i++) {
    const p = firstPartition + i;
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(brokers[(start + p + r) % brokers.length]);
    out.push(replicas);
  }
  return out;
}

/** Checks a manual assignment: every replica a live broker, no duplicates, one size. */
export function validateAssignment(assignment: readonly (readonly number[])[], live: ReadonlySet<number>): void {
  let size = -1;
  for (const [i, replicas] of assignment.entries()) {
    if (replicas.length === 0) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `partition ${i} has no replicas`);
    if (new Set(replicas).size !== replicas.length) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `partition ${i} lists a broker twice: ${replicas.join(',')}`);
    }
    if (size >= 0 && replicas.length !== size) {
      throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', 'All partitions should have the same number of replicas');
    }
    size = replicas.length;
    const dead = replicas.find((b) => !live.has(b));
    if (dead !== undefined) throw new KafkaError('INVALID_REPLICA_ASSIGNMENT', `broker ${dead} in the assignment of partition ${i} is not registered`);
  }
}
