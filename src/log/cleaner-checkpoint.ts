/**
 * The cleaner checkpoint of one partition: `cleaner-offset-checkpoint` in
 * the partition directory, holding the offset up to which the log has been
 * cleaned (the first dirty offset of the next cleaning), so a restart does
 * not redo the work. Text, replaced atomically like the log checkpoint:
 *
 *   0            format version
 *   <offset>
 *
 * Kafka keeps one such file per log dir; one per partition moves and
 * disappears with the partition.
 */
import { join } from 'node:path';
import { readSmallFile, writeFileAtomic } from './file-io.js';

export const CLEANER_CHECKPOINT_FILE = 'cleaner-offset-checkpoint';

/** The checkpointed offset, or null when there is none or it is unreadable. */
export async function readCleanerCheckpoint(dir: string): Promise<number | null> {
  const bytes = await readSmallFile(join(dir, CLEANER_CHECKPOINT_FILE));
  if (bytes === null) return null;
  const lines = bytes.toString('utf8').split('\n');
  if (lines[0] !== '0' || !/^\d+$/.test(lines[1] ?? '')) return null;
  const offset = Number(lines[1]);
  return Number.isSafeInteger(offset) ? offset : null;
}

export function writeCleanerCheckpoint(dir: string, offset: number): Promise<void> {
  return writeFileAtomic(dir, CLEANER_CHECKPOINT_FILE, Buffer.from(`0\n${offset}\n`, 'utf8'));
}
