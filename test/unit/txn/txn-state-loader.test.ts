/**
 * Partition-side transaction state: producer state opens and closes
 * transactions (markers, fencing), and loadTxnState rebuilds it and the
 * aborted-transaction index from a real log, with and without snapshots
 * and the index file.
 */
import { mkdtempSync, rmSync, unlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { buildBatchSync } from '../../../src/protocol/records.js';
import { ControlRecordType, endTxnMarkerRecord } from '../../../src/protocol/control-records.js';
import { ProducerStateManager } from '../../../src/txn/producer-state.js';
import { loadTxnState } from '../../../src/txn/txn-state-loader.js';
import { saveProducerSnapshot, decodeSnapshot, encodeSnapshot } from '../../../src/txn/producer-snapshot.js';
import { TXN_INDEX_FILE } from '../../../src/txn/aborted-txn-index.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const data = (pid: bigint, seq: number, n: number, transactional: boolean): Buffer =>
  buildBatchSync({ producerId: pid, producerEpoch: 0, baseSequence: seq, transactional, records: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
const marker = (pid: bigint, commit: boolean, coordinatorEpoch = 0): Buffer =>
  buildBatchSync({ control: true, transactional: true, producerId: pid, producerEpoch: 0, records: [endTxnMarkerRecord(commit ? ControlRecordType.Commit : ControlRecordType.Abort, coordinatorEpoch)] });

describe('ProducerStateManager transactions', () => {
  it('tracks open transactions, closes them with markers, fences stale markers', () => {
    const s = new ProducerStateManager();
    s.record(1n, 0, { firstSeq: 0, lastSeq: 1, firstOffset: 10, lastOffset: 11, timestamp: 1 }, true);
    s.record(2n, 0, { firstSeq: 0, lastSeq: 0, firstOffset: 12, lastOffset: 12, timestamp: 1 }, true);
    expect(s.firstUnstableOffset()).toBe(10);
    expect(s.check(1n, 0, 2, 2, false)).toMatchObject({ kind: 'error', error: 'INVALID_TXN_STATE' });
    expect(s.applyMarker({ producerId: 1n, producerEpoch: 0, coordinatorEpoch: 5, commit: false, offset: 13, timestamp: 2 })).toEqual({ producerId: 1n, firstOffset: 10, lastOffset: 13, aborted: true });
    expect(s.firstUnstableOffset()).toBe(12);
    expect(s.checkMarker(1n, 0, 4)).toMatchObject({ error: 'TRANSACTION_COORDINATOR_FENCED' });
    expect(s.checkMarker(2n, 0, 0)).toBeNull();
    s.recordCoordinatorWrite(2n, 1, 14, 3, true);
    expect(s.checkMarker(2n, 0, 0)).toMatchObject({ error: 'INVALID_PRODUCER_EPOCH' });
    expect(s.applyMarker({ producerId: 2n, producerEpoch: 1, coordinatorEpoch: 0, commit: true, offset: 15, timestamp: 4 })).toMatchObject({ firstOffset: 12, aborted: false });
    expect(s.firstUnstableOffset()).toBeNull();
    // A marker for a producer without an open transaction changes nothing but its epoch.
    expect(s.applyMarker({ producerId: 3n, producerEpoch: 2, coordinatorEpoch: 0, commit: false, offset: 16, timestamp: 5 })).toBeNull();
  });

  it('snapshots producers known only from markers and open transactions', () => {
    const s = new ProducerStateManager();
    s.applyMarker({ producerId: 3n, producerEpoch: 2, coordinatorEpoch: 7, commit: false, offset: 16, timestamp: 5 });
    s.recordCoordinatorWrite(4n, 0, 20, 6, true);
    const back = decodeSnapshot(encodeSnapshot(s));
    expect(back.producers.get(3n)).toMatchObject({ epoch: 2, coordinatorEpoch: 7, batches: [] });
    expect(back.firstUnstableOffset()).toBe(20);
  });
});

describe('loadTxnState', () => {
  async function openLog(): Promise<PartitionLog> {
    const dir = mkdtempSync(join(tmpdir(), 'krill-txnload-'));
    dirs.push(dir);
    return PartitionLog.open(dir, resolveLogConfig(), logger);
  }

  async function writeHistory(log: PartitionLog): Promise<void> {
    await log.append(data(1n, 0, 2, true)); // 0-1 open (aborted later)
    await log.append(data(2n, 0, 1, true)); // 2 open (committed later)
    await log.append(marker(1n, false)); // 3 abort of producer 1
    await log.append(data(9n, 0, 1, false)); // 4 plain idempotent
    await log.append(marker(2n, true)); // 5 commit of producer 2
    await log.append(data(1n, 2, 1, true)); // 6 producer 1's next transaction, still open
  }

  it('rebuilds open transactions and aborted transactions from the log', async () => {
    const log = await openLog();
    await writeHistory(log);
    const st = await loadTxnState(log, logger);
    expect(st.producers.firstUnstableOffset()).toBe(6);
    expect(st.aborted.all()).toEqual([{ producerId: 1n, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 }]);
    expect(existsSync(join(log.dir, TXN_INDEX_FILE))).toBe(true);
    await log.close();
  });

  it('uses a snapshot plus the index file, and rebuilds the index when the file is lost', async () => {
    const log = await openLog();
    await log.append(data(1n, 0, 2, true));
    await log.append(marker(1n, false));
    let st = await loadTxnState(log, logger);
    await saveProducerSnapshot(log, st.producers);
    await log.append(data(5n, 0, 1, true));
    await log.append(marker(5n, false));
    st = await loadTxnState(log, logger);
    expect(st.aborted.all().map((t) => [t.producerId, t.firstOffset, t.lastOffset])).toEqual([[1n, 0, 2], [5n, 3, 4]]);
    await st.aborted.close();
    unlinkSync(join(log.dir, TXN_INDEX_FILE));
    st = await loadTxnState(log, logger);
    expect(st.aborted.size).toBe(2);
    expect(st.producers.firstUnstableOffset()).toBeNull();
    await log.close();
  });
});
