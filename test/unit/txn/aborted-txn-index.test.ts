import { mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AbortedTxnIndex, TXN_INDEX_FILE } from '../../../src/txn/aborted-txn-index.js';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'krill-txnindex-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('AbortedTxnIndex', () => {
  it('lists the aborted transactions overlapping a fetched range', () => {
    const idx = new AbortedTxnIndex(null);
    idx.add({ producerId: 1n, firstOffset: 0, lastOffset: 10, lastStableOffset: 5 }); // producer 2's transaction was open from 5
    idx.add({ producerId: 2n, firstOffset: 5, lastOffset: 20, lastStableOffset: 21 });
    idx.add({ producerId: 3n, firstOffset: 30, lastOffset: 40, lastStableOffset: 41 });
    const pids = (from: number, upper: number): bigint[] => idx.collect(from, upper).map((t) => t.producerId);
    expect(pids(0, 5)).toEqual([1n]);
    expect(pids(0, 6)).toEqual([1n, 2n]);
    expect(pids(11, 25)).toEqual([2n]);
    expect(pids(21, 30)).toEqual([]);
    expect(pids(21, 31)).toEqual([3n]);
    expect(pids(41, 100)).toEqual([]);
    expect(() => idx.add({ producerId: 4n, firstOffset: 1, lastOffset: 40, lastStableOffset: 41 })).toThrow();
  });

  it('persists Kafka .txnindex entries, ignores a torn tail, prunes below the log start', async () => {
    const dir = tmp();
    const idx = new AbortedTxnIndex(dir);
    idx.add({ producerId: 9n, firstOffset: 3, lastOffset: 7, lastStableOffset: 8 });
    idx.add({ producerId: 10n, firstOffset: 9, lastOffset: 12, lastStableOffset: 13 });
    await idx.flush();
    const bytes = readFileSync(join(dir, TXN_INDEX_FILE));
    expect(bytes.length).toBe(68);
    expect(bytes.subarray(0, 34).toString('hex')).toBe(
      '0000' + '0000000000000009' + '0000000000000003' + '0000000000000007' + '0000000000000008',
    );
    appendFileSync(join(dir, TXN_INDEX_FILE), Buffer.alloc(10));
    expect(await AbortedTxnIndex.read(dir)).toHaveLength(2);
    await idx.prune(8);
    expect(idx.all().map((t) => t.producerId)).toEqual([10n]);
    expect(await AbortedTxnIndex.read(dir)).toHaveLength(1);
    await idx.truncateFrom(12);
    expect(idx.size).toBe(0);
    expect(await AbortedTxnIndex.read(dir)).toHaveLength(0);
    await idx.close();
    writeFileSync(join(dir, 'x'), '');
    expect(await AbortedTxnIndex.read(tmp())).toBeNull();
  });
});
