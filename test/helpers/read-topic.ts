/**
 * Reads a topic from the beginning with a kafkajs consumer in a fresh group
 * until `count` messages arrived (or quiet for a while after that), and
 * returns their values in arrival order per partition. read_committed by
 * default, like kafkajs.
 */
import type { Kafka } from 'kafkajs';

let groups = 0;

export async function readTopic(
  kafka: Kafka,
  topic: string,
  opts: { count: number; readUncommitted?: boolean; timeoutMs?: number; settleMs?: number },
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `read-${topic}-${process.pid}-${++groups}`, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 100 });
  const values: string[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? '') });
    const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
    while (values.length < opts.count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Anything beyond the expected count (duplicates) has a moment to show up.
    await new Promise((r) => setTimeout(r, opts.settleMs ?? 500));
  } finally {
    await consumer.disconnect();
  }
  return values;
}
