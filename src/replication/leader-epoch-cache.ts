/**
 * The leader epoch cache of one replica (KIP-101): for each leader epoch
 * that wrote to this log, the offset of its first record. Pure: persistence
 * is the caller's (epoch-checkpoint-file.ts), in Kafka's
 * `leader-epoch-checkpoint` text format.
 *
 * Semantics follow Kafka's LeaderEpochFileCache:
 * - `assign(epoch, offset)` records a new epoch only when it is newer than
 *   the latest; entries starting at or after `offset` are dropped (those
 *   epochs wrote nothing that is still in the log);
 * - `endOffsetFor(requested, logEndOffset)` answers OffsetForLeaderEpoch:
 *   the largest epoch <= requested and the start offset of the next epoch,
 *   or the log end offset for the latest epoch; (-1, -1) when unknown;
 * - `truncateFromEnd(offset)` drops entries starting at or after offset
 *   (log truncation); `truncateFromStart(offset)` drops entries wholly below
 *   offset and moves the first kept one's start up to it (log start moves).
 */

export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: number;
}

export class LeaderEpochCache {
  #entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.#entries = [...entries].sort((a, b) => a.epoch - b.epoch);
  }

  get entries(): readonly EpochEntry[] {
    return this.#entries;
  }

  get latestEpoch(): number {
    return this.#entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /** Records that `epoch` starts at `offset`. Returns whether the cache changed. */
  assign(epoch: number, offset: number): boolean {
    if (epoch < 0) return false;
    const last = this.#entries.at(-1);
    if (last && epoch <= last.epoch) return false;
    // Entries starting at or after the new one wrote nothing that survives: drop them (non-monotonic).
    this.#entries = this.#entries.filter((e) => e.startOffset < offset);
    this.#entries.push({ epoch, startOffset: offset });
    return true;
  }

  endOffsetFor(requested: number, logEndOffset: number): EpochEndOffset {
    const undefinedResult = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requested === UNDEFINED_EPOCH) return undefinedResult;
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
    const higher = this.#entries.find((e) => e.epoch > requested);
    if (!higher) return undefinedResult;
    let floor: EpochEntry | undefined;
    for (const e of this.#entries) if (e.epoch <= requested) floor = e;
    // Older than anything cached (those records are gone): the start of the first later epoch.
    return { epoch: floor ? floor.epoch : requested, endOffset: higher.startOffset };
  }

  /** The epoch that wrote `offset`, or -1 when the cache does not cover it. */
  epochForOffset(offset: number): number {
    let epoch = UNDEFINED_EPOCH;
    for (const e of this.#entries) {
      if (e.startOffset > offset) break;
      epoch = e.epoch;
    }
    return epoch;
  }

  truncateFromEnd(offset: number): boolean {
    const kept = this.#entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.#entries.length) return false;
    this.#entries = kept;
    return true;
  }

  truncateFromStart(offset: number): boolean {
    let lastBelow = -1;
    for (let i = 0; i < this.#entries.length; i++) if ((this.#entries[i] as EpochEntry).startOffset <= offset) lastBelow = i;
    if (lastBelow < 0) return false;
    const first = this.#entries[lastBelow] as EpochEntry;
    if (lastBelow === 0 && first.startOffset === offset) return false;
    this.#entries = [{ epoch: first.epoch, startOffset: offset }, ...this.#entries.slice(lastBelow + 1)];
    return true;
  }
}

/** Kafka's checkpoint text: version line (0), entry count, then `epoch startOffset` lines. */
export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return `0\n${entries.length}\n${entries.map((e) => `${e.epoch} ${e.startOffset}`).join('\n')}${entries.length > 0 ? '\n' : ''}`;
}

/** Parses checkpoint text; throws on anything malformed. */
export function parseEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== '0') throw new Error(`unknown leader-epoch-checkpoint version ${JSON.stringify(lines[0])}`);
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count < 0 || count !== lines.length - 2) throw new Error(`leader-epoch-checkpoint declares ${lines[1]} entries, has ${lines.length - 2}`);
  return lines.slice(2).map((l) => {
    const [e, o] = l.trim().split(/\s+/).map(Number);
    if (!Number.isSafeInteger(e) || !Number.isSafeInteger(o) || (e as number) < 0 || (o as number) < 0) throw new Error(`bad leader-epoch-checkpoint line ${JSON.stringify(l)}`);
    return { epoch: e as number, startOffset: o as number };
  });
}
