/**
 * The live half of a cleaner swap (segment-swap.ts has the on-disk
 * protocol): commit, retire the replaced segments so in-flight reads retry,
 * complete the swap, and open the new segment. Runs on the owning log's
 * queue, so no append, truncation or deletion interleaves.
 */
import type { HandleCache } from './handle-cache.js';
import { unlinkIfExists } from './file-io.js';
import { Segment, type SegmentSettings } from './segment.js';
import { commitSwap, completeSwap } from './segment-swap.js';

/** A cleaned log file waiting to replace segments [baseOffset, endOffset). */
export interface CleanedSegment {
  /** `<base>.log.cleaned`, already fsynced. */
  readonly path: string;
  readonly baseOffset: number;
  /** Base offset of the first segment kept after the replaced ones. */
  readonly endOffset: number;
}

export interface SwapContext {
  readonly settings: SegmentSettings;
  readonly handles: HandleCache;
  readonly nowMs: number;
  /** Takes the `.deleted` files of replaced segments (removed after file.delete.delay.ms). */
  readonly dispose: (paths: readonly string[]) => void;
}

/** Replaces sources (consecutive, sealed, sources[0] at cleaned.baseOffset) by the cleaned segment. */
export async function swapInCleaned(dir: string, sources: readonly Segment[], cleaned: CleanedSegment, ctx: SwapContext): Promise<Segment> {
  const first = sources[0];
  if (first === undefined || first.baseOffset !== cleaned.baseOffset) throw new RangeError('cleaned segment does not start the replaced run');
  // Finish any lazy index load now: none may write index files after the swap.
  for (const s of sources) await s.ensureIndexes();
  const swap = { baseOffset: cleaned.baseOffset, endOffset: cleaned.endOffset };
  await commitSwap(dir, swap);
  for (const s of sources) s.retire();
  const renamed: string[] = [];
  const rest = new Map(sources.slice(1).map((s) => [s.baseOffset, s]));
  const size = await completeSwap(dir, swap, [...rest.keys()], async (base) => {
    renamed.push(...((await rest.get(base)?.renameToDeleted()) ?? []));
  });
  // Handles opened before the rename read the old file.
  ctx.handles.evict(first.logPath);
  ctx.dispose(renamed);
  const seg = Segment.existing(dir, cleaned.baseOffset, size, cleaned.endOffset, ctx.settings, ctx.handles, ctx.nowMs);
  await seg.ensureIndexes();
  return seg;
}

/** Removes a cleaned file that will not be swapped in. */
export async function abandonCleaned(cleaned: CleanedSegment): Promise<void> {
  await unlinkIfExists(cleaned.path);
}
