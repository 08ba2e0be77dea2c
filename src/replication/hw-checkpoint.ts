/**
 * High watermarks checkpointed per log dir in `replication-offset-checkpoint`
 * (Kafka's file name and text format: version 0, entry count, then
 * `topic partition offset` lines), written every
 * replica.high.watermark.checkpoint.interval.ms and at shutdown.
 *
 * A replica that restarts starts from its checkpointed high watermark
 * rather than its log end: a leader must not expose records the ISR may
 * not have. A lost or stale checkpoint only delays the watermark (it
 * catches up as followers fetch), it never exposes too much.
 */
import { join } from 'node:path';
import { readTextIfExists, writeFileAtomic } from './checkpoint-file.js';

export const HW_CHECKPOINT_FILE = 'replication-offset-checkpoint';

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function formatOffsetCheckpoint(entries: readonly TopicPartitionOffset[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join('')}`;
}

/** Parses checkpoint text into topic/partition keys (tpKey) and offsets; throws on malformed text. */
export function parseOffsetCheckpoint(text: string): Map<string, number> {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== '0') throw new Error(`unknown ${HW_CHECKPOINT_FILE} version ${JSON.stringify(lines[0])}`);
  if (Number(lines[1]) !== lines.length - 2) throw new Error(`${HW_CHECKPOINT_FILE} declares ${lines[1]} entries, has ${lines.length - 2}`);
  const out = new Map<string, number>();
  for (const l of lines.slice(2)) {
    const parts = l.trim().split(/\s+/);
    const offset = Number(parts.pop());
    const partition = Number(parts.pop());
    const topic = parts.join(' ');
    if (!topic || !Number.isSafeInteger(partition) || !Number.isSafeInteger(offset)) throw new Error(`bad ${HW_CHECKPOINT_FILE} line ${JSON.stringify(l)}`);
    out.set(tpKey(topic, partition), offset);
  }
  return out;
}

/** The checkpoints of the log dirs, read once each, written whole. */
export class HighWatermarkCheckpoints {
  readonly #loaded = new Map<string, Map<string, number>>();

  /** The checkpointed high watermark of a partition in logDir, or null. */
  async get(logDir: string, topic: string, partition: number): Promise<number | null> {
    let m = this.#loaded.get(logDir);
    if (!m) {
      const text = await readTextIfExists(join(logDir, HW_CHECKPOINT_FILE)).catch(() => null);
      try {
        m = text === null ? new Map() : parseOffsetCheckpoint(text);
      } catch {
        m = new Map();
      }
      this.#loaded.set(logDir, m);
    }
    return m.get(tpKey(topic, partition)) ?? null;
  }

  async write(logDir: string, entries: readonly TopicPartitionOffset[]): Promise<void> {
    await writeFileAtomic(join(logDir, HW_CHECKPOINT_FILE), formatOffsetCheckpoint(entries));
    this.#loaded.set(logDir, new Map(entries.map((e) => [tpKey(e.topic, e.partition), e.offset])));
  }
}
