/**
 * Which __consumer_offsets partition (and so which coordinator) owns a
 * group: abs(groupId.hashCode()) % partitions, exactly as Kafka computes it,
 * so a Krill node and a Kafka broker agree on the placement of every group.
 */

/** Java's String.hashCode: h = 31*h + c over the UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: like Math.abs, except that Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

export function partitionFor(groupId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions <= 0) throw new RangeError(`partition count ${partitions} must be a positive integer`);
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}
