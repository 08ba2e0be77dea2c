/**
 * The on-disk protocol that replaces a run of segments by one cleaned
 * segment, crash-safely (a crash at any point leaves the old or the new
 * segment set, never a mix):
 *
 * 1. The cleaner writes `<base>.log.cleaned` and fsyncs it. Until step 2 a
 *    crash rolls back: the loader deletes every `.cleaned` file.
 * 2. Commit: `<base>.swap` is written atomically (temp file, fsync, rename,
 *    fsync dir). It names the replaced range: every segment whose base
 *    offset is in [base, endOffset), where endOffset is the base of the
 *    first segment kept after the run.
 * 3. Completion, idempotent, run by the live log or by the loader after a
 *    crash: if `<base>.log.cleaned` still exists, the old `<base>` indexes
 *    are removed first (fsync dir) and the cleaned file is renamed over
 *    `<base>.log` (atomic replace); then the other replaced segments are
 *    disposed of (renamed to `.deleted` or unlinked); fsync dir; finally the
 *    `.swap` file is removed. The new segment's indexes are rebuilt from
 *    the log on first use, so an index never describes the wrong log file.
 *
 * Kafka names the committed state `<base>.log.swap`; Krill keeps the data
 * file and the commit record apart so the replaced range is explicit.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptLogError } from './errors.js';
import {
  fileSize,
  fsyncDir,
  parseSegmentFileName,
  pathExists,
  readSmallFile,
  renameIfExists,
  segmentPath,
  segmentStem,
  unlinkIfExists,
  writeFileAtomic,
} from './file-io.js';

export const CLEANED_SUFFIX = '.cleaned';
export const SWAP_SUFFIX = '.swap';

export interface SwapRecord {
  readonly baseOffset: number;
  readonly endOffset: number;
}

export function cleanedLogPath(dir: string, baseOffset: number): string {
  return `${segmentPath(dir, baseOffset, 'log')}${CLEANED_SUFFIX}`;
}

function swapName(baseOffset: number): string {
  return `${segmentStem(baseOffset)}${SWAP_SUFFIX}`;
}

/** Step 2: makes the swap durable. The cleaned log must already be fsynced. */
export function commitSwap(dir: string, swap: SwapRecord): Promise<void> {
  if (!(swap.endOffset > swap.baseOffset)) throw new RangeError(`swap range [${swap.baseOffset}, ${swap.endOffset}) is empty`);
  return writeFileAtomic(dir, swapName(swap.baseOffset), Buffer.from(`0\n${swap.endOffset}\n`, 'utf8'));
}

/**
 * Step 3. `others` are the base offsets of replaced segments other than
 * `base` (those in (base, endOffset)); `dispose` removes one of them.
 * Returns the size of the new `<base>.log`.
 */
export async function completeSwap(
  dir: string,
  swap: SwapRecord,
  others: readonly number[],
  dispose: (baseOffset: number) => Promise<void>,
): Promise<number> {
  const cleaned = cleanedLogPath(dir, swap.baseOffset);
  if (await pathExists(cleaned)) {
    await unlinkIfExists(segmentPath(dir, swap.baseOffset, 'index'));
    await unlinkIfExists(segmentPath(dir, swap.baseOffset, 'timeindex'));
    await fsyncDir(dir);
    await renameIfExists(cleaned, segmentPath(dir, swap.baseOffset, 'log'));
  }
  for (const base of others) {
    if (base <= swap.baseOffset || base >= swap.endOffset) throw new RangeError(`segment ${base} is outside the swap range`);
    await dispose(base);
  }
  await fsyncDir(dir);
  await unlinkIfExists(join(dir, swapName(swap.baseOffset)));
  await fsyncDir(dir);
  return fileSize(segmentPath(dir, swap.baseOffset, 'log'));
}

/**
 * For the loader: finishes every committed swap in dir (unlinking the
 * replaced segments) and rolls back uncommitted ones (deleting `.cleaned`
 * files). Returns the swaps it finished.
 */
export async function recoverSwaps(dir: string): Promise<SwapRecord[]> {
  const names = await readdir(dir);
  const finished: SwapRecord[] = [];
  const bases = names.map(parseSegmentFileName).filter((p) => p?.kind === 'log').map((p) => (p as { baseOffset: number }).baseOffset);
  for (const name of names) {
    const m = /^(\d{20})\.swap$/.exec(name);
    if (m === null) continue;
    const swap = await readSwap(dir, name, Number(m[1]));
    const others = bases.filter((b) => b > swap.baseOffset && b < swap.endOffset);
    await completeSwap(dir, swap, others, async (base) => {
      for (const kind of ['log', 'index', 'timeindex'] as const) await unlinkIfExists(segmentPath(dir, base, kind));
    });
    finished.push(swap);
  }
  for (const name of await readdir(dir)) {
    if (name.endsWith(CLEANED_SUFFIX)) await unlinkIfExists(join(dir, name));
  }
  return finished;
}

async function readSwap(dir: string, name: string, baseOffset: number): Promise<SwapRecord> {
  const text = (await readSmallFile(join(dir, name)))?.toString('utf8') ?? '';
  const lines = text.split('\n');
  const end = lines[0] === '0' && /^\d+$/.test(lines[1] ?? '') ? Number(lines[1]) : NaN;
  if (!Number.isSafeInteger(end) || end <= baseOffset) throw new CorruptLogError(join(dir, name), 0, `unreadable swap record ${JSON.stringify(text)}`);
  return { baseOffset, endOffset: end };
}
