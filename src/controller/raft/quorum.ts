/**
 * Majority-quorum arithmetic as pure functions, table-tested in
 * test/unit/raft/quorum.test.ts. Only voters count; observers never do.
 * A voter missing from an input map counts as match index 0 / no vote.
 */
import type { NodeId } from './types.js';

/** The smallest number of voters that forms a majority of `voterCount`. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index held by a majority of voters, given each voter's match
 * index: sort descending and take the majority-th value. An empty voter set
 * commits nothing (0). Duplicate voter ids are counted once.
 */
export function committedIndex(matchIndexes: ReadonlyMap<NodeId, number>, voters: readonly NodeId[]): number {
  const unique = [...new Set(voters)];
  if (unique.length === 0) return 0;
  const matches = unique.map((id) => matchIndexes.get(id) ?? 0).sort((a, b) => b - a);
  return matches[majority(unique.length) - 1]!;
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/**
 * The outcome of an election from the votes received so far: won once a
 * majority granted, lost once enough rejected that a majority can no longer
 * grant, pending otherwise. Votes from non-voters are ignored.
 */
export function voteResult(votes: ReadonlyMap<NodeId, boolean>, voters: readonly NodeId[]): VoteOutcome {
  const unique = [...new Set(voters)];
  if (unique.length === 0) return 'lost';
  let granted = 0;
  let missing = 0;
  for (const id of unique) {
    const vote = votes.get(id);
    if (vote === undefined) missing += 1;
    else if (vote) granted += 1;
  }
  const needed = majority(unique.length);
  if (granted >= needed) return 'won';
  if (granted + missing < needed) return 'lost';
  return 'pending';
}

/** Whether the active set contains a majority of the voters (check-quorum). */
export function hasQuorum(active: ReadonlySet<NodeId>, voters: readonly NodeId[]): boolean {
  const unique = [...new Set(voters)];
  if (unique.length === 0) return false;
  let count = 0;
  for (const id of unique) if (active.has(id)) count += 1;
  return count >= majority(unique.length);
}

/**
 * The vote rule's log comparison (Raft §5.4.1): a candidate's log is at least
 * as up to date as ours when its last term is higher, or equal with a last
 * index at least ours. KRaft compares (LastOffsetEpoch, LastOffset) the same way.
 */
export function isLogUpToDate(candidateLastTerm: number, candidateLastIndex: number, ourLastTerm: number, ourLastIndex: number): boolean {
  if (candidateLastTerm !== ourLastTerm) return candidateLastTerm > ourLastTerm;
  return candidateLastIndex >= ourLastIndex;
}
