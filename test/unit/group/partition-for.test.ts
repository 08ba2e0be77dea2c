/** Group placement matches Kafka's abs(groupId.hashCode()) % partitions. */
import { describe, expect, it } from 'vitest';
import { javaStringHashCode, kafkaAbs, partitionFor } from '../../../src/group/partition-for.js';

describe('partitionFor', () => {
  it('computes Java String.hashCode over UTF-16 code units', () => {
    expect(javaStringHashCode('')).toBe(0);
    expect(javaStringHashCode('a')).toBe(97);
    expect(javaStringHashCode('hello')).toBe(99162322);
    // Values computed with java.lang.String.hashCode: int32 overflow, negatives, a surrogate pair.
    expect(javaStringHashCode('my-consumer-group')).toBe(1513705513);
    expect(javaStringHashCode('groupé')).toBe(-1237460406);
    expect(javaStringHashCode('😀')).toBe(1772899);
  });

  it('maps Integer.MIN_VALUE to partition 0 like Kafka Utils.abs', () => {
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionFor('polygenelubricants', 50)).toBe(0);
  });

  it('places groups on the partition Kafka would', () => {
    expect(partitionFor('my-consumer-group', 50)).toBe(13);
    expect(partitionFor('groupé', 50)).toBe(6);
    expect(partitionFor('😀', 50)).toBe(49);
    expect(partitionFor('hello', 50)).toBe(22);
    expect(partitionFor('hello', 1)).toBe(0);
    expect(() => partitionFor('x', 0)).toThrow(RangeError);
  });
});
