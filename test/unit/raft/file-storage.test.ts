/**
 * FileRaftStorage: what a Ready persists survives a reopen (entries as
 * KRaft batches, term/vote in quorum-state, snapshots as checkpoints), a
 * divergent suffix is truncated, a snapshot moves the log start, and the
 * recovery rules hold (torn tail, incomplete checkpoint, log behind the
 * snapshot).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRaftStorage } from '../../../src/controller/file-raft-storage.js';
import { decodeEntries, encodeEntries } from '../../../src/controller/metadata-batches.js';
import { decodeSnapshot, encodeSnapshot, snapshotFileName } from '../../../src/controller/snapshot-file.js';
import { manualClock } from '../../../src/platform/clock.js';
import type { Entry, Ready } from '../../../src/controller/raft/types.js';

const logger = pino({ level: 'silent' });
let dir: string;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'krill-raft-store-')), '__cluster_metadata-0');
});
afterEach(() => {
  rmSync(join(dir, '..'), { recursive: true, force: true });
});

const open = (): Promise<FileRaftStorage> => FileRaftStorage.open({ dir, clusterId: 'c1', voters: [1, 2, 3], logger, clock: manualClock(1000) });
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const entry = (index: number, term: number, data = `e${index}`): Entry => ({ index, term, data: data === '' ? new Uint8Array(0) : bytes(data) });
const ready = (entries: Entry[], hardState?: Ready['hardState']): Ready => ({ entries, messages: [], committedEntries: [], mustSync: true, ...(hardState ? { hardState } : {}) });
const text = (e: Entry): string => new TextDecoder().decode(e.data);

describe('metadata batches', () => {
  it('round-trip entries, markers as LeaderChange control batches, split at leader batch ends', () => {
    const entries = [entry(1, 1, ''), entry(2, 1), entry(3, 1), entry(4, 1), entry(5, 2, ''), entry(6, 2)];
    const { bytes: b, batchStarts } = encodeEntries(entries, { leaderOf: (t) => t + 10, voters: [1, 2, 3], timestampMs: 5 }, new Set([3]));
    expect(batchStarts).toEqual([1, 2, 4, 5, 6]);
    const decoded = decodeEntries(b);
    expect(decoded.entries.map((e) => [e.index, e.term, text(e)])).toEqual(entries.map((e) => [e.index, e.term, text(e)]));
    expect([...decoded.leaders]).toEqual([
      [1, 11],
      [2, 12],
    ]);
    expect(decoded.batchEnds).toEqual([1, 3, 4, 5, 6]);
  });
});

describe('FileRaftStorage', () => {
  it('starts empty, then keeps entries and term/vote across a reopen', async () => {
    const s = await open();
    expect(s.initialState().hardState).toEqual({ term: 0, votedFor: -1, commit: 0 });
    expect([s.firstIndex(), s.lastIndex()]).toEqual([1, 0]);
    s.noteLeader(1, 2);
    await s.persist(ready([entry(1, 1, ''), entry(2, 1), entry(3, 1)], { term: 1, votedFor: 2, commit: 0 }), 2);
    await s.close();
    const q = JSON.parse(readFileSync(join(dir, 'quorum-state'), 'utf8'));
    expect(q).toMatchObject({ clusterId: 'c1', leaderEpoch: 1, votedId: 2, leaderId: 2, data_version: 0 });

    const r = await open();
    expect(r.initialState().hardState).toEqual({ term: 1, votedFor: 2, commit: 0 });
    expect(r.lastIndex()).toBe(3);
    expect(r.entries(1, 4, 10).map((e) => [e.index, e.term, text(e)])).toEqual([
      [1, 1, ''],
      [2, 1, 'e2'],
      [3, 1, 'e3'],
    ]);
    expect(r.leaderOf(1)).toBe(2);
    await r.close();
  });

  it('truncates a divergent suffix and appends the leader\'s entries (also inside a batch)', async () => {
    const s = await open();
    await s.persist(ready([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)]), -1);
    await s.persist(ready([entry(3, 2, 'new3'), entry(4, 2, 'new4'), entry(5, 2, 'new5')]), -1);
    expect(s.entries(1, 6, 10).map((e) => `${e.term}:${text(e)}`)).toEqual(['1:e1', '1:e2', '2:new3', '2:new4', '2:new5']);
    await s.close();
    const r = await open();
    expect(r.entries(1, 6, 10).map((e) => `${e.term}:${text(e)}`)).toEqual(['1:e1', '1:e2', '2:new3', '2:new4', '2:new5']);
    expect(r.endOffsetForEpoch(1)).toEqual({ epoch: 1, endOffset: 2 });
    expect(r.endOffsetForEpoch(5)).toEqual({ epoch: 2, endOffset: 5 });
    expect(r.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0 });
    await r.close();
  });

  it('compacts into a checkpoint, moves the log start, and reopens from it', async () => {
    const s = await open();
    await s.persist(ready([entry(1, 1), entry(2, 1), entry(3, 2), entry(4, 2)]), -1);
    const snap = encodeSnapshot([Buffer.from('rec-a'), Buffer.from('rec-b')], 2, 7);
    await s.compact(3, snap);
    expect([s.firstIndex(), s.lastIndex(), s.term(3), s.term(2)]).toEqual([4, 4, 2, undefined]);
    expect(s.logStartOffset).toBe(3);
    expect(readdirSync(dir)).toContain(snapshotFileName({ endOffset: 3, epoch: 2 }));
    await s.close();
    const r = await open();
    expect(r.snapshot().meta).toEqual({ index: 3, term: 2 });
    expect(decodeSnapshot(Buffer.from(r.snapshot().data)).map(String)).toEqual(['rec-a', 'rec-b']);
    expect(r.entries(4, 5, 10).map(text)).toEqual(['e4']);
    expect(r.endOffsetForEpoch(1)).toBeUndefined();
    await r.close();
  });

  it('installs a leader snapshot beyond its log end by restarting the log there', async () => {
    const s = await open();
    await s.persist(ready([entry(1, 1), entry(2, 1)]), -1);
    const data = encodeSnapshot([Buffer.from('x')], 3, 7);
    await s.persist({ ...ready([]), snapshot: { meta: { index: 10, term: 3 }, data } }, -1);
    expect([s.firstIndex(), s.lastIndex(), s.logStartOffset]).toEqual([11, 10, 10]);
    await s.persist(ready([entry(11, 3)]), -1);
    await s.close();
    const r = await open();
    expect([r.firstIndex(), r.lastIndex(), r.term(10), r.term(11)]).toEqual([11, 11, 3, 3]);
    await r.close();
  });

  it('ignores an incomplete checkpoint and a torn last batch', async () => {
    const s = await open();
    await s.persist(ready([entry(1, 1), entry(2, 1)]), -1);
    await s.persist(ready([entry(3, 1)]), -1);
    await s.close();
    const full = encodeSnapshot([Buffer.from('y')], 1, 7);
    writeFileSync(join(dir, snapshotFileName({ endOffset: 2, epoch: 1 })), full.subarray(0, full.length - 5));
    const log = readdirSync(dir).find((f) => f.endsWith('.log'))!;
    truncateSync(join(dir, log), statSync(join(dir, log)).size - 3);
    const r = await open();
    expect(r.snapshot().meta).toEqual({ index: 0, term: 0 });
    expect(readdirSync(dir).filter((f) => /^\d{20}-\d{10}\.checkpoint$/.test(f))).toEqual([]);
    expect(readdirSync(dir)).toContain('partition.checkpoint');
    expect(r.lastIndex()).toBe(2);
    await r.close();
  });
});
