/**
 * The per-partition checkpoint file: log start offset and recovery point
 * (offsets below it are known durable, so an unclean start only recovers
 * segments from the one holding it). Text, like Kafka's checkpoint files:
 *
 *   0                  format version
 *   <logStartOffset>
 *   <recoveryPoint>
 *
 * Replaced atomically (temp file, fsync, rename, fsync dir).
 */
import { join } from 'node:path';
import { readSmallFile, writeFileAtomic } from './file-io.js';

export const CHECKPOINT_FILE = 'partition.checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';

export interface LogCheckpoint {
  readonly logStartOffset: number;
  readonly recoveryPoint: number;
}

export function encodeCheckpoint(cp: LogCheckpoint): Buffer {
  return Buffer.from(`0\n${cp.logStartOffset}\n${cp.recoveryPoint}\n`, 'utf8');
}

/** Parses the file text; a string describes why it is unusable. */
export function decodeCheckpoint(text: string): LogCheckpoint | string {
  const lines = text.split('\n');
  if (lines[0] !== '0') return `unknown checkpoint version ${JSON.stringify(lines[0])}`;
  const [logStartOffset, recoveryPoint] = [lines[1], lines[2]].map((l) => (l !== undefined && /^\d+$/.test(l) ? Number(l) : NaN));
  if (!Number.isSafeInteger(logStartOffset) || !Number.isSafeInteger(recoveryPoint)) return 'malformed offsets';
  return { logStartOffset: logStartOffset as number, recoveryPoint: recoveryPoint as number };
}

/** Null when there is no checkpoint; a string when it is unreadable. */
export async function readCheckpoint(dir: string): Promise<LogCheckpoint | string | null> {
  const bytes = await readSmallFile(join(dir, CHECKPOINT_FILE));
  return bytes === null ? null : decodeCheckpoint(bytes.toString('utf8'));
}

export function writeCheckpoint(dir: string, cp: LogCheckpoint): Promise<void> {
  return writeFileAtomic(dir, CHECKPOINT_FILE, encodeCheckpoint(cp));
}
