import { describe, expect, it } from 'vitest';
import { committedIndex, hasQuorum, isLogUpToDate, majority, voteResult, type VoteOutcome } from '../../../src/controller/raft/quorum.js';

/** Build a map from a compact string: "1:5 2:3" → {1→5, 2→3}. */
function numbers(spec: string): Map<number, number> {
  return new Map(spec.split(/\s+/).filter(Boolean).map((pair) => pair.split(':').map(Number) as [number, number]));
}

function votes(spec: string): Map<number, boolean> {
  return new Map(spec.split(/\s+/).filter(Boolean).map((pair) => {
    const [id, v] = pair.split(':');
    return [Number(id), v === 'y'] as [number, boolean];
  }));
}

describe('majority', () => {
  it.each([
    [1, 1], [2, 2], [3, 2], [4, 3], [5, 3], [6, 4], [7, 4],
  ])('of %i voters is %i', (n, m) => expect(majority(n)).toBe(m));
});

describe('committedIndex', () => {
  const table: Array<[string, number[], string, number]> = [
    // description, voters, match indexes, committed
    ['no voters commit nothing', [], '1:5', 0],
    ['single voter commits its own match', [1], '1:7', 7],
    ['single voter with no match', [1], '', 0],
    ['three voters, take the median', [1, 2, 3], '1:5 2:3 3:1', 3],
    ['three voters, two equal', [1, 2, 3], '1:5 2:5 3:1', 5],
    ['three voters, one missing counts as 0', [1, 2, 3], '1:5 2:4', 4],
    ['three voters, two missing', [1, 2, 3], '1:5', 0],
    ['four voters need three', [1, 2, 3, 4], '1:9 2:8 3:2 4:1', 2],
    ['four voters, three high', [1, 2, 3, 4], '1:9 2:8 3:7 4:1', 7],
    ['five voters, third highest', [1, 2, 3, 4, 5], '1:10 2:9 3:8 4:2 5:1', 8],
    ['five voters, unordered input', [1, 2, 3, 4, 5], '5:10 3:1 1:8 4:9 2:2', 8],
    ['observers (not voters) are ignored', [1, 2, 3], '1:5 2:1 3:1 4:9 5:9', 1],
    ['duplicate voter ids count once', [1, 1, 2, 3], '1:9 2:1 3:1', 1],
    ['all equal', [1, 2, 3, 4, 5], '1:4 2:4 3:4 4:4 5:4', 4],
  ];
  it.each(table)('%s', (_name, voters, matches, expected) => {
    expect(committedIndex(numbers(matches), voters)).toBe(expected);
  });
});

describe('voteResult', () => {
  const table: Array<[string, number[], string, VoteOutcome]> = [
    ['no voters can never win', [], '', 'lost'],
    ['single voter votes for itself', [1], '1:y', 'won'],
    ['single voter, no vote yet', [1], '', 'pending'],
    ['single voter rejected', [1], '1:n', 'lost'],
    ['three voters, one yes', [1, 2, 3], '1:y', 'pending'],
    ['three voters, two yes', [1, 2, 3], '1:y 2:y', 'won'],
    ['three voters, yes no pending', [1, 2, 3], '1:y 2:n', 'pending'],
    ['three voters, two no', [1, 2, 3], '1:y 2:n 3:n', 'lost'],
    ['four voters, two yes is not enough', [1, 2, 3, 4], '1:y 2:y 3:n', 'pending'],
    ['four voters, two no loses', [1, 2, 3, 4], '1:y 2:y 3:n 4:n', 'lost'],
    ['four voters, three yes', [1, 2, 3, 4], '1:y 2:y 3:y', 'won'],
    ['five voters, three no loses early', [1, 2, 3, 4, 5], '1:y 2:n 3:n 4:n', 'lost'],
    ['five voters, three yes', [1, 2, 3, 4, 5], '1:y 3:y 5:y 2:n', 'won'],
    ['votes from non-voters do not count', [1, 2, 3], '1:y 7:y 8:y', 'pending'],
  ];
  it.each(table)('%s', (_name, voters, spec, expected) => {
    expect(voteResult(votes(spec), voters)).toBe(expected);
  });
});

describe('hasQuorum', () => {
  const table: Array<[string, number[], number[], boolean]> = [
    ['empty voter set', [], [1], false],
    ['single voter active', [1], [1], true],
    ['three voters, two active', [1, 2, 3], [1, 3], true],
    ['three voters, one active', [1, 2, 3], [1], false],
    ['three voters, active observers do not help', [1, 2, 3], [1, 4, 5], false],
    ['four voters, two active', [1, 2, 3, 4], [1, 2], false],
    ['five voters, three active', [1, 2, 3, 4, 5], [2, 4, 5], true],
  ];
  it.each(table)('%s', (_name, voters, active, expected) => {
    expect(hasQuorum(new Set(active), voters)).toBe(expected);
  });
});

describe('isLogUpToDate (candidate vs ours)', () => {
  const table: Array<[string, [number, number], [number, number], boolean]> = [
    // [candidate last term, last index], [our last term, last index]
    ['both empty', [0, 0], [0, 0], true],
    ['higher last term wins despite shorter log', [3, 2], [2, 9], true],
    ['lower last term loses despite longer log', [2, 9], [3, 2], false],
    ['same term, longer log', [2, 6], [2, 5], true],
    ['same term, same length', [2, 5], [2, 5], true],
    ['same term, shorter log', [2, 4], [2, 5], false],
    ['empty candidate vs non-empty', [0, 0], [1, 1], false],
  ];
  it.each(table)('%s', (_name, [ct, ci], [ot, oi], expected) => {
    expect(isLogUpToDate(ct, ci, ot, oi)).toBe(expected);
  });
});
