/**
 * Direct tests of RaftNode for rules that scenario scripts cannot reach
 * precisely: hand-built logs and hand-crafted messages.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../src/platform/random.js';
import { MemoryRaftStorage, type MemoryStorageInit } from '../../../src/controller/raft/memory-storage.js';
import { RaftNode, type RaftConfig } from '../../../src/controller/raft/node.js';
import type { AppendRequest, AppendResponse, Message } from '../../../src/controller/raft/messages.js';
import { NO_NODE, RaftInvariantError, type Entry, type Ready } from '../../../src/controller/raft/types.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, data: bytes(data) });

function makeNode(id: number, init: MemoryStorageInit = {}, extra: Partial<RaftConfig> = {}): { node: RaftNode; storage: MemoryRaftStorage } {
  const storage = new MemoryRaftStorage(init);
  const node = new RaftNode({ id, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, random: seededRandom(id), storage, ...extra });
  return { node, storage };
}

/** Drain every Ready: persist, collect messages, advance. */
function drain(node: RaftNode, storage: MemoryRaftStorage): { messages: Message[]; readies: Ready[] } {
  const messages: Message[] = [];
  const readies: Ready[] = [];
  while (node.hasReady()) {
    const rd = node.ready();
    readies.push(rd);
    storage.persist(rd);
    messages.push(...rd.messages);
    node.advance(rd);
  }
  return { messages, readies };
}

function appendFrom(leader: number, to: number, term: number, prev: [number, number], entries: Entry[], commit: number): AppendRequest {
  return { type: 'append-request', from: leader, to, term, prevLogIndex: prev[0], prevLogTerm: prev[1], entries, commit };
}

function ack(from: number, to: number, term: number, matchIndex: number): AppendResponse {
  return { type: 'append-response', from, to, term, success: true, matchIndex, rejectedIndex: 0, conflictTerm: 0, conflictIndex: 0, lastIndex: matchIndex };
}

/** Make node `id` leader by campaigning and feeding it the votes it asks for. */
function elect(node: RaftNode, storage: MemoryRaftStorage, voters: number[]): Message[] {
  node.campaign();
  for (;;) {
    const { messages } = drain(node, storage);
    const requests = messages.filter((m) => m.type === 'vote-request');
    if (requests.length === 0) return messages;
    for (const req of requests) {
      if (!voters.includes(req.to)) continue;
      node.step({ type: 'vote-response', from: req.to, to: node.id, term: req.term, preVote: req.preVote, granted: true });
    }
  }
}

describe('commit rule', () => {
  it('does not commit an older-term entry held by a majority until a current-term entry is', () => {
    // Node 1 holds an entry from term 1 that was never committed, and is elected in term 3.
    const { node, storage } = makeNode(1, { hardState: { term: 2, votedFor: NO_NODE, commit: 1 }, entries: [entry(1, 1), entry(2, 1)] });
    elect(node, storage, [2]);
    expect(node.status()).toMatchObject({ role: 'leader', term: 3, lastIndex: 3, commit: 1 });
    // Node 2 acknowledges index 2 only: a majority (1 and 2) holds it, but it is from term 1.
    node.step(ack(2, 1, 3, 2));
    drain(node, storage);
    expect(node.status().commit).toBe(1);
    // Once the term-3 entry is on a majority, both commit.
    node.step(ack(2, 1, 3, 3));
    const { readies } = drain(node, storage);
    expect(node.status().commit).toBe(3);
    expect(readies.flatMap((r) => r.committedEntries).map((e) => e.index)).toEqual([2, 3]);
  });

  it('a single voter commits its own proposals at once', () => {
    const storage = new MemoryRaftStorage();
    const node = new RaftNode({ id: 1, voters: [1], electionTicks: 10, heartbeatTicks: 1, random: seededRandom(1), storage });
    node.campaign();
    drain(node, storage);
    expect(node.status()).toMatchObject({ role: 'leader', term: 1, commit: 1 });
    const result = node.propose([bytes('a'), bytes('b')]);
    expect(result).toEqual({ ok: true, firstIndex: 2, lastIndex: 3, term: 1 });
    const { readies } = drain(node, storage);
    // Entries to persist and the same entries to apply come out together; persist first.
    expect(readies[0]!.entries.map((e) => e.index)).toEqual([2, 3]);
    expect(readies[0]!.committedEntries.map((e) => e.index)).toEqual([2, 3]);
    expect(readies[0]!.mustSync).toBe(true);
  });
});

describe('follower append handling', () => {
  it('commits only through the last entry the append verified, not a stale suffix', () => {
    // Follower 2 has a stale suffix (indexes 3-4 of term 1) beyond what the leader of term 2 verifies.
    const { node, storage } = makeNode(2, { hardState: { term: 2, votedFor: NO_NODE, commit: 1 }, entries: [entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)] });
    node.step(appendFrom(1, 2, 2, [2, 1], [], 4));
    const { messages } = drain(node, storage);
    expect(node.status().commit).toBe(2);
    expect(messages).toEqual([expect.objectContaining({ type: 'append-response', success: true, matchIndex: 2 })]);
  });

  it('truncates a conflicting suffix and appends the leader entries', () => {
    const { node, storage } = makeNode(2, { hardState: { term: 2, votedFor: NO_NODE, commit: 1 }, entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    node.step(appendFrom(1, 2, 3, [1, 1], [entry(2, 3, 'x')], 2));
    const { readies } = drain(node, storage);
    expect(readies[0]!.entries).toEqual([entry(2, 3, 'x')]);
    expect(storage.lastIndex()).toBe(2);
    expect(node.status()).toMatchObject({ lastIndex: 2, lastTerm: 3, commit: 2, term: 3, leaderId: 1 });
  });

  it.each([
    // [description, follower log terms, prev index/term, expected conflict term/index]
    ['log too short: hint is last index + 1', [1, 1], [5, 3], 0, 3],
    ['term mismatch: hint is the first index of the conflicting term', [1, 2, 2, 2], [4, 3], 2, 2],
    ['term mismatch does not point at or below the commit index', [2, 2, 2, 2], [4, 3], 2, 2],
  ] as Array<[string, number[], [number, number], number, number]>)('rejection hint: %s', (_name, terms, prev, conflictTerm, conflictIndex) => {
    const entries = terms.map((t, i) => entry(i + 1, t));
    const { node, storage } = makeNode(2, { hardState: { term: 3, votedFor: NO_NODE, commit: 1 }, entries });
    node.step(appendFrom(1, 2, 3, prev, [entry(prev[0] + 1, 3)], 0));
    const { messages } = drain(node, storage);
    expect(messages).toEqual([
      expect.objectContaining({ type: 'append-response', success: false, rejectedIndex: prev[0], conflictTerm, conflictIndex }),
    ]);
  });

  it('the leader skips a whole conflicting term per round trip', () => {
    // Leader 1 (term 4): terms 1 1 3 3 4(noop). Follower: terms 1 1 2 2 2 2 2.
    const { node, storage } = makeNode(1, { hardState: { term: 3, votedFor: NO_NODE, commit: 2 }, entries: [entry(1, 1), entry(2, 1), entry(3, 3), entry(4, 3)] });
    const sent = elect(node, storage, [2]).filter((m): m is AppendRequest => m.type === 'append-request' && m.to === 2);
    expect(sent[0]).toMatchObject({ prevLogIndex: 4, prevLogTerm: 3 });
    // The follower has term 2 at index 4, starting at index 3: the leader has no term 2, so it jumps to 3.
    node.step({ type: 'append-response', from: 2, to: 1, term: 4, success: false, matchIndex: 0, rejectedIndex: 4, conflictTerm: 2, conflictIndex: 3, lastIndex: 7 });
    const retry = drain(node, storage).messages.filter((m): m is AppendRequest => m.type === 'append-request' && m.to === 2);
    expect(retry[0]).toMatchObject({ prevLogIndex: 2, prevLogTerm: 1 });
    expect(retry[0]!.entries.map((e) => e.index)).toEqual([3, 4, 5]);
  });
});

describe('persistence contract', () => {
  it('a granted vote comes out with the hard state that records it, to be synced before sending', () => {
    const { node, storage } = makeNode(2);
    node.step({ type: 'vote-request', from: 1, to: 2, term: 1, preVote: false, lastLogIndex: 0, lastLogTerm: 0, leadershipTransfer: false });
    const rd = node.ready();
    expect(rd.hardState).toEqual({ term: 1, votedFor: 1, commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([expect.objectContaining({ type: 'vote-response', granted: true, term: 1 })]);
    storage.persist(rd);
    node.advance(rd);
    // Restarted from what was persisted, it will not vote for anyone else in term 1.
    const restarted = new RaftNode({ id: 2, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, random: seededRandom(9), storage });
    restarted.step({ type: 'vote-request', from: 3, to: 2, term: 1, preVote: false, lastLogIndex: 5, lastLogTerm: 1, leadershipTransfer: false });
    expect(restarted.ready().messages).toEqual([expect.objectContaining({ type: 'vote-response', granted: false })]);
  });

  it('after a torn write left entries of a newer term than the hard state, the node enters that term with no vote', () => {
    const { node } = makeNode(2, { hardState: { term: 3, votedFor: 1, commit: 1 }, entries: [entry(1, 1), entry(2, 5)] });
    expect(node.status()).toMatchObject({ term: 5, votedFor: NO_NODE });
    expect(node.ready().hardState).toEqual({ term: 5, votedFor: NO_NODE, commit: 1 });
  });

  it('ready() needs advance() before the next ready()', () => {
    const { node, storage } = makeNode(1);
    node.campaign();
    const rd = node.ready();
    expect(node.hasReady()).toBe(false);
    expect(() => node.ready()).toThrow(RaftInvariantError);
    expect(() => node.advance({ ...rd })).toThrow(RaftInvariantError);
    storage.persist(rd);
    node.advance(rd);
  });

  it('entries persisted before a newer leader overwrote them in memory are not marked stable', () => {
    const { node, storage } = makeNode(2, { hardState: { term: 1, votedFor: NO_NODE, commit: 0 } });
    node.step(appendFrom(1, 2, 1, [0, 0], [entry(1, 1), entry(2, 1)], 0));
    const first = node.ready();
    // Before the driver finishes, a term-2 leader replaces index 2.
    node.step(appendFrom(3, 2, 2, [1, 1], [entry(2, 2, 'y')], 0));
    storage.persist(first);
    node.advance(first);
    const second = node.ready();
    expect(second.entries).toEqual([entry(2, 2, 'y')]);
    storage.persist(second);
    node.advance(second);
    expect(storage.term(2)).toBe(2);
  });
});

describe('terms and roles', () => {
  it('a follower answers a stale leader with its higher term, and the stale leader steps down', () => {
    const { node, storage } = makeNode(1);
    elect(node, storage, [2, 3]);
    expect(node.status()).toMatchObject({ role: 'leader', term: 1 });
    node.step({ type: 'heartbeat-response', from: 3, to: 1, term: 4 });
    expect(node.status()).toMatchObject({ role: 'follower', term: 4, leaderId: NO_NODE });
    expect(node.propose([bytes('x')])).toEqual({ ok: false, error: 'NOT_LEADER', leaderId: NO_NODE });

    const follower = makeNode(2, { hardState: { term: 4, votedFor: NO_NODE, commit: 0 } });
    follower.node.step(appendFrom(1, 2, 1, [0, 0], [], 0));
    expect(drain(follower.node, follower.storage).messages).toEqual([{ type: 'heartbeat-response', from: 2, to: 1, term: 4 }]);
  });

  it('a follower reports the leader it knows when refusing a proposal', () => {
    const { node, storage } = makeNode(2);
    node.step(appendFrom(3, 2, 1, [0, 0], [], 0));
    drain(node, storage);
    expect(node.propose([bytes('x')])).toEqual({ ok: false, error: 'NOT_LEADER', leaderId: 3 });
  });

  it('an observer never campaigns and never grants a vote', () => {
    const storage = new MemoryRaftStorage();
    const node = new RaftNode({ id: 4, voters: [1, 2, 3], observers: [4], electionTicks: 10, heartbeatTicks: 1, random: seededRandom(4), storage });
    for (let i = 0; i < 100; i += 1) node.tick();
    node.campaign();
    expect(node.status()).toMatchObject({ role: 'follower', term: 0, isObserver: true });
    expect(node.hasReady()).toBe(false);
    node.step({ type: 'vote-request', from: 1, to: 4, term: 1, preVote: false, lastLogIndex: 0, lastLogTerm: 0, leadershipTransfer: false });
    expect(drain(node, storage).messages).toEqual([expect.objectContaining({ type: 'vote-response', granted: false })]);
  });

  it('ignores messages from non-members and messages addressed elsewhere', () => {
    const { node } = makeNode(2);
    node.step(appendFrom(9, 2, 5, [0, 0], [], 0));
    node.step(appendFrom(1, 3, 5, [0, 0], [], 0));
    expect(node.status().term).toBe(0);
    expect(node.hasReady()).toBe(false);
  });

  it('rejects invalid configuration', () => {
    const storage = new MemoryRaftStorage();
    const base = { electionTicks: 10, heartbeatTicks: 1, random: seededRandom(1), storage };
    expect(() => new RaftNode({ ...base, id: 5, voters: [1, 2, 3] })).toThrow(/neither a voter nor an observer/);
    expect(() => new RaftNode({ ...base, id: 1, voters: [] })).toThrow(/at least one voter/);
    expect(() => new RaftNode({ ...base, id: 1, voters: [1], heartbeatTicks: 10 })).toThrow(/less than electionTicks/);
    expect(() => new RaftNode({ ...base, id: 1, voters: [1], electionTicks: 0 })).toThrow(/positive integer/);
  });

  it('randomizes election timeouts within [electionTicks, 2 * electionTicks)', () => {
    const timeouts = new Set<number>();
    for (let seed = 0; seed < 200; seed += 1) {
      const storage = new MemoryRaftStorage();
      const node = new RaftNode({ id: 1, voters: [1, 2, 3], electionTicks: 10, heartbeatTicks: 1, random: seededRandom(seed), storage, preVote: false });
      let ticks = 0;
      while (node.status().role === 'follower') {
        node.tick();
        ticks += 1;
      }
      timeouts.add(ticks);
    }
    expect(Math.min(...timeouts)).toBe(10);
    expect(Math.max(...timeouts)).toBe(19);
  });
});

describe('snapshots', () => {
  it('a follower that already holds the snapshot index just commits through it', () => {
    const { node, storage } = makeNode(2, { hardState: { term: 2, votedFor: NO_NODE, commit: 0 }, entries: [entry(1, 1), entry(2, 2), entry(3, 2)] });
    node.step({ type: 'snapshot-request', from: 1, to: 2, term: 2, snapshot: { meta: { index: 2, term: 2 }, data: bytes('s') } });
    const { readies, messages } = drain(node, storage);
    expect(readies.some((r) => r.snapshot)).toBe(false);
    expect(node.status()).toMatchObject({ commit: 2, lastIndex: 3 });
    expect(messages).toEqual([expect.objectContaining({ type: 'snapshot-response', matchIndex: 2 })]);
  });

  it('a follower behind the snapshot installs it, dropping its log', () => {
    const { node, storage } = makeNode(2, { hardState: { term: 2, votedFor: NO_NODE, commit: 1 }, entries: [entry(1, 1), entry(2, 1)] });
    node.step({ type: 'snapshot-request', from: 1, to: 2, term: 2, snapshot: { meta: { index: 7, term: 2 }, data: bytes('s') } });
    const rd = node.ready();
    expect(rd.snapshot?.meta).toEqual({ index: 7, term: 2 });
    expect(rd.committedEntries).toEqual([]);
    expect(rd.hardState).toMatchObject({ commit: 7 });
    storage.persist(rd);
    node.advance(rd);
    expect(node.status()).toMatchObject({ firstIndex: 8, lastIndex: 7, commit: 7, applied: 7 });
    expect(storage.firstIndex()).toBe(8);
  });

  it('a leader sends its snapshot to a follower behind its log start', () => {
    const snapshot = { meta: { index: 5, term: 1 }, data: bytes('state@5') };
    const { node, storage } = makeNode(1, { hardState: { term: 1, votedFor: NO_NODE, commit: 5 }, snapshot, entries: [entry(6, 1)] });
    elect(node, storage, [2]);
    // Follower 2 says its log ends at 2: the leader no longer has index 2.
    node.step({ type: 'append-response', from: 2, to: 1, term: 2, success: false, matchIndex: 0, rejectedIndex: 6, conflictTerm: 0, conflictIndex: 3, lastIndex: 2 });
    const sent = drain(node, storage).messages.filter((m) => m.to === 2);
    expect(sent).toEqual([expect.objectContaining({ type: 'snapshot-request', snapshot })]);
    expect(node.status().progress?.get(2)).toMatchObject({ state: 'snapshot' });
    node.step({ type: 'snapshot-response', from: 2, to: 1, term: 2, matchIndex: 5 });
    const after = drain(node, storage).messages.filter((m) => m.to === 2);
    expect(node.status().progress?.get(2)).toMatchObject({ state: 'replicate', match: 5 });
    expect(after[0]).toMatchObject({ type: 'append-request', prevLogIndex: 5, prevLogTerm: 1 });
  });
});
