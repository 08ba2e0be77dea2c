/**
 * A follower's transaction state follows its log (issue 5): batches fetched
 * from the leader open and close transactions in the producer state and
 * add aborted transactions to the index as the leader's own appends do, and
 * truncating a divergent tail forgets exactly what that tail taught (a cut
 * through an abort marker reopens the transaction and drops its index
 * entry), so the replica is right when it becomes leader.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { buildBatchSync } from '../../../src/protocol/records.js';
import { ControlRecordType, endTxnMarkerRecord } from '../../../src/protocol/control-records.js';
import { Partition } from '../../../src/replication/partition.js';
import { LeaderEpochCache } from '../../../src/replication/leader-epoch-cache.js';
import { epochCacheWriter } from '../../../src/replication/epoch-store.js';
import { appendAsFollower, truncateFollower } from '../../../src/replication/follower-log.js';
import { loadTxnState } from '../../../src/txn/txn-state-loader.js';

const logger = pino({ level: 'silent' });
const dirs: string[] = [];
const partitions: Partition[] = [];
afterEach(async () => {
  for (const p of partitions.splice(0)) {
    p.close();
    await p.log.close();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A batch as the leader stored it: its offset and leader epoch in the header. */
function at(offset: number, batch: Buffer, epoch = 0): Buffer {
  batch.writeBigInt64BE(BigInt(offset), 0);
  batch.writeInt32BE(epoch, 12);
  return batch;
}
const data = (pid: bigint, seq: number, n: number): Buffer =>
  buildBatchSync({ producerId: pid, producerEpoch: 0, baseSequence: seq, transactional: true, records: Array.from({ length: n }, (_, i) => ({ value: `v${seq + i}` })) });
const marker = (pid: bigint, commit: boolean): Buffer =>
  buildBatchSync({ control: true, transactional: true, producerId: pid, producerEpoch: 0, records: [endTxnMarkerRecord(commit ? ControlRecordType.Commit : ControlRecordType.Abort, 3)] });

async function follower(): Promise<Partition> {
  const dir = mkdtempSync(join(tmpdir(), 'krill-follower-txn-'));
  dirs.push(dir);
  const log = await PartitionLog.open(dir, resolveLogConfig(), logger);
  const txn = await loadTxnState(log, logger);
  const epochs = new LeaderEpochCache();
  const image = { partition: 0, replicas: [1, 2], isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 0, addingReplicas: [], removingReplicas: [] };
  const p = new Partition('t', 'id', 0, log, image, txn.producers, txn.aborted, { epochs, epochWriter: epochCacheWriter(log, epochs), highWatermark: null });
  p.makeFollower(image);
  partitions.push(p);
  return p;
}

describe('follower transaction state', () => {
  it('learns transactions from fetched batches and unlearns a truncated tail', async () => {
    const p = await follower();
    // 0-1 producer 7 (aborted at 3), 2 producer 8 (committed at 4), 5 producer 8 again (open).
    const fetched = Buffer.concat([at(0, data(7n, 0, 2)), at(2, data(8n, 0, 1)), at(3, marker(7n, false)), at(4, marker(8n, true)), at(5, data(8n, 1, 1))]);
    expect(await appendAsFollower(p, fetched, false)).toBe(5);
    expect(p.log.logEndOffset).toBe(6);
    expect(p.abortedTxns.all()).toEqual([{ producerId: 7n, firstOffset: 0, lastOffset: 3, lastStableOffset: 2 }]);
    expect(p.producers.firstUnstableOffset()).toBe(5);
    expect(p.producers.producers.get(8n)?.batches.map((b) => b.lastSeq)).toEqual([0, 1]);
    expect(p.producers.producers.get(7n)?.coordinatorEpoch).toBe(3);

    // The leader's log diverged at 3: both markers and the later batch are cut.
    await p.serially(() => truncateFollower(p, 3, logger));
    expect(p.log.logEndOffset).toBe(3);
    expect(p.abortedTxns.all()).toEqual([]);
    expect(p.producers.firstUnstableOffset()).toBe(0);
    expect(p.producers.hasOngoingTxn(7n)).toBe(true);
    expect(p.producers.hasOngoingTxn(8n)).toBe(true);
    expect(p.producers.producers.get(8n)?.batches.map((b) => b.lastSeq)).toEqual([0]);

    // The new leader's history: producer 7 committed, producer 8 aborted.
    expect(await appendAsFollower(p, Buffer.concat([at(3, marker(7n, true), 1), at(4, marker(8n, false), 1)]), false)).toBe(2);
    expect(p.abortedTxns.all()).toEqual([{ producerId: 8n, firstOffset: 2, lastOffset: 4, lastStableOffset: 5 }]);
    expect(p.producers.firstUnstableOffset()).toBeNull();
    expect(p.abortedTxns.collect(0, 5)).toEqual([{ producerId: 8n, firstOffset: 2n }]);

    // What it learned survives a reload from disk (a restart).
    await p.abortedTxns.flush();
    const reloaded = await loadTxnState(p.log, logger);
    expect(reloaded.aborted.all()).toEqual(p.abortedTxns.all());
    expect(reloaded.producers.firstUnstableOffset()).toBeNull();
    await reloaded.aborted.close();
  });
});
