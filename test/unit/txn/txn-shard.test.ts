import { describe, expect, it } from 'vitest';
import { TxnHarness } from './txn-shard-harness.js';

const ok = (producerId: bigint, producerEpoch: number) => ({ kind: 'ok', producerId, producerEpoch });

describe('TxnShard: InitProducerId', () => {
  it('maps a new transactional id to a producer id at epoch 0, then bumps the epoch', () => {
    const h = new TxnHarness();
    const a = h.init('t1');
    expect(a).toEqual(ok(1000n, 0));
    expect(h.init('t1')).toEqual(ok(1000n, 1));
    expect(h.init('t2')).toEqual(ok(1001n, 0));
    expect(h.state('t1')).toBe('Empty');
  });

  it('follows KIP-360: bump on the current epoch, same answer for a retry, fence anything else', () => {
    const h = new TxnHarness();
    h.init('t');
    h.init('t'); // epoch 1
    expect(h.init('t', { producerId: 1000n, producerEpoch: 1 })).toEqual(ok(1000n, 2));
    // The producer never saw the answer and retries with epoch 1: the last epoch, so epoch 2 again.
    expect(h.init('t', { producerId: 1000n, producerEpoch: 1 })).toEqual(ok(1000n, 2));
    expect(h.init('t', { producerId: 1000n, producerEpoch: 0 })).toEqual({ kind: 'error', error: 'PRODUCER_FENCED' });
    expect(h.init('t', { producerId: 77n, producerEpoch: 2 })).toEqual({ kind: 'error', error: 'PRODUCER_FENCED' });
    // A new session (no expected epoch) forgets the last epoch: a retry with it is now fenced.
    expect(h.init('t')).toEqual(ok(1000n, 3));
    expect(h.init('t', { producerId: 1000n, producerEpoch: 2 })).toEqual({ kind: 'error', error: 'PRODUCER_FENCED' });
  });

  it('rotates the producer id when the epoch runs out', () => {
    const h = new TxnHarness();
    h.init('t');
    // Force the epoch to the end by replaying a record at epoch 32766.
    const m = h.shard.txns.get('t')!;
    h.run((_s, op) => op.records.push({ transactionalId: 't', metadata: { ...m, producerEpoch: 32766 } }));
    expect(h.init('t', { producerId: m.producerId, producerEpoch: 32766 })).toEqual(ok(1001n, 0));
    // A retry of that rotation with the old id is accepted (previous id, exhausted epoch): the last epoch matches.
    expect(h.init('t', { producerId: m.producerId, producerEpoch: 32766 })).toEqual(ok(1001n, 0));
  });

  it('aborts an open transaction with the producer fenced and answers CONCURRENT_TRANSACTIONS', () => {
    const h = new TxnHarness();
    h.init('t');
    expect(h.add('t', 1000n, 0, ['a', 0], ['b', 1])).toBeNull();
    expect(h.init('t')).toEqual({ kind: 'error', error: 'CONCURRENT_TRANSACTIONS' });
    expect(h.shard.describe('t')).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    // While the markers are written the transaction is finishing.
    expect(h.init('t')).toEqual({ kind: 'error', error: 'CONCURRENT_TRANSACTIONS' });
    h.completeMarkers();
    expect(h.state('t')).toBe('CompleteAbort');
    expect(h.init('t')).toEqual(ok(1000n, 2));
    // The old producer is fenced.
    expect(h.add('t', 1000n, 0, ['a', 0])).toBe('PRODUCER_FENCED');
  });
});

describe('TxnShard: transactions', () => {
  it('goes Empty → Ongoing → PrepareCommit → CompleteCommit and back to Ongoing', () => {
    const h = new TxnHarness();
    h.init('t');
    expect(h.end('t', 1000n, 0, true)).toBe('INVALID_TXN_STATE');
    h.now += 5;
    expect(h.add('t', 1000n, 0, ['a', 0])).toBeNull();
    const start = h.now;
    h.now += 5;
    expect(h.add('t', 1000n, 0, ['a', 1], ['a', 0])).toBeNull();
    expect(h.shard.describe('t')).toMatchObject({ state: 'Ongoing', txnStartTimestamp: start, partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }] });
    const written = h.log.length;
    expect(h.add('t', 1000n, 0, ['a', 1])).toBeNull();
    expect(h.log.length).toBe(written); // already in: nothing written
    expect(h.end('t', 1000n, 0, true)).toBeNull();
    expect(h.markersNeeded).toEqual(['t']);
    expect(h.state('t')).toBe('PrepareCommit');
    expect(h.add('t', 1000n, 0, ['a', 0])).toBe('CONCURRENT_TRANSACTIONS');
    expect(h.end('t', 1000n, 0, true)).toBe('CONCURRENT_TRANSACTIONS');
    expect(h.end('t', 1000n, 0, false)).toBe('INVALID_TXN_STATE');
    h.shard.markerWritten('t', 'a', 0);
    expect(h.shard.describe('t')?.partitions).toEqual([{ topic: 'a', partition: 1 }]);
    h.completeMarkers();
    expect(h.shard.describe('t')).toMatchObject({ state: 'CompleteCommit', partitions: [] });
    expect(h.end('t', 1000n, 0, true)).toBeNull();
    expect(h.end('t', 1000n, 0, false)).toBe('INVALID_TXN_STATE');
    expect(h.add('t', 1000n, 0, ['b', 0])).toBeNull();
    expect(h.state('t')).toBe('Ongoing');
  });

  it('checks the producer id and epoch', () => {
    const h = new TxnHarness();
    expect(h.add('nope', 1n, 0, ['a', 0])).toBe('INVALID_PRODUCER_ID_MAPPING');
    h.init('t');
    h.init('t');
    expect(h.add('t', 999n, 1, ['a', 0])).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(h.add('t', 1000n, 0, ['a', 0])).toBe('PRODUCER_FENCED');
    expect(h.end('t', 1000n, 2, true)).toBe('PRODUCER_FENCED');
  });

  it('verifies partitions for KIP-890 without writing', () => {
    const h = new TxnHarness();
    h.init('t');
    h.add('t', 1000n, 0, ['a', 0]);
    const ref = { transactionalId: 't', producerId: 1000n, producerEpoch: 0 };
    expect(h.shard.verifyPartitions(ref, [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }], 'INVALID_TXN_STATE')).toEqual([null, 'INVALID_TXN_STATE']);
    expect(h.shard.verifyPartitions({ ...ref, producerEpoch: 3 }, [], 'INVALID_TXN_STATE')).toBe('PRODUCER_FENCED');
  });

  it('aborts a transaction past its timeout and fences its producer', () => {
    const h = new TxnHarness();
    h.init('t', null, 1000);
    h.add('t', 1000n, 0, ['a', 0]);
    h.advance(1000);
    expect(h.state('t')).toBe('Ongoing');
    h.advance(1);
    expect(h.shard.describe('t')).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    h.completeMarkers();
    expect(h.end('t', 1000n, 0, true)).toBe('PRODUCER_FENCED');
    expect(h.shard.nextDeadline()).toBe(h.now - 1001 + h.config.removeExpiredIntervalMs);
  });

  it('removes transactional ids idle longer than transactional.id.expiration.ms', () => {
    const h = new TxnHarness({ idExpirationMs: 10_000, removeExpiredIntervalMs: 1000 });
    h.init('idle');
    h.init('busy');
    h.add('busy', 1001n, 0, ['a', 0]);
    h.advance(60_001);
    expect(h.shard.txns.has('idle')).toBe(false);
    expect(h.log.at(-1)).toMatchObject({ value: null });
    // 'busy' timed out (default 60 s), was aborted, and then idles like any other.
    h.completeMarkers();
    expect(h.state('busy')).toBe('CompleteAbort');
  });
});

describe('TxnShard: loading', () => {
  it('rebuilds every id from the log bytes; finishing transactions are reported for their markers', () => {
    const h = new TxnHarness();
    h.init('done');
    h.add('done', 1000n, 0, ['a', 0]);
    h.end('done', 1000n, 0, true);
    h.completeMarkers();
    h.init('open');
    h.add('open', 1001n, 0, ['a', 1], ['b', 0]);
    h.init('deciding');
    h.add('deciding', 1002n, 0, ['c', 0]);
    h.end('deciding', 1002n, 0, false);
    h.reload();
    expect(h.state('done')).toBe('CompleteCommit');
    expect(h.shard.describe('open')).toMatchObject({ state: 'Ongoing', producerId: 1001n, partitions: [{ topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }] });
    expect(h.shard.preparing()).toEqual(['deciding']);
    expect(h.shard.byProducer(1002n)?.transactionalId).toBe('deciding');
    // The last epoch is not in the log: after a load a KIP-360 retry with it is fenced, as in Kafka.
    expect(h.init('done', { producerId: 1000n, producerEpoch: 0 })).toEqual(ok(1000n, 1));
  });

  it('lists with state, producer id and duration filters', () => {
    const h = new TxnHarness();
    h.init('a');
    h.init('b');
    h.add('b', 1001n, 0, ['x', 0]);
    h.now += 10_000;
    const unknown = new Set<string>();
    expect(h.shard.list({ states: [], producerIds: [], durationMs: -1 }, h.now, unknown).map((t) => t.transactionalId).sort()).toEqual(['a', 'b']);
    expect(h.shard.list({ states: ['Ongoing', 'Bogus'], producerIds: [], durationMs: -1 }, h.now, unknown)).toEqual([{ transactionalId: 'b', producerId: 1001n, state: 'Ongoing' }]);
    expect([...unknown]).toEqual(['Bogus']);
    expect(h.shard.list({ states: [], producerIds: [1000n], durationMs: -1 }, h.now, unknown).map((t) => t.transactionalId)).toEqual(['a']);
    expect(h.shard.list({ states: ['Ongoing'], producerIds: [], durationMs: 20_000 }, h.now, unknown)).toEqual([]);
  });
});
