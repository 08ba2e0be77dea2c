import { describe, expect, it } from 'vitest';
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue, TxnState, type TxnMetadata } from '../../../src/txn/txn-records.js';

const meta: TxnMetadata = {
  transactionalId: 'tx',
  producerId: 7n,
  prevProducerId: -1n,
  producerEpoch: 3,
  lastProducerEpoch: 2,
  txnTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 2 }],
  txnStartTimestamp: 1000,
  txnLastUpdateTimestamp: 2000,
};

describe('__transaction_state records', () => {
  it('writes Kafka\'s key and value v0 layout', () => {
    expect(encodeTxnKey('tx').toString('hex')).toBe('0000' + '0002' + Buffer.from('tx').toString('hex'));
    const v = encodeTxnValue(meta)!;
    const expected = Buffer.concat([
      Buffer.from('0000', 'hex'), // value version 0
      Buffer.from('0000000000000007', 'hex'), // producer id
      Buffer.from('0003', 'hex'), // epoch
      Buffer.from('0000ea60', 'hex'), // timeout 60000
      Buffer.from('01', 'hex'), // Ongoing
      Buffer.from('00000001', 'hex'), // one topic
      Buffer.from('0001', 'hex'), Buffer.from('a'),
      Buffer.from('00000002' + '00000000' + '00000002', 'hex'),
      Buffer.from('00000000000007d0', 'hex'), // last update 2000
      Buffer.from('00000000000003e8', 'hex'), // start 1000
    ]);
    expect(v.toString('hex')).toBe(expected.toString('hex'));
  });

  it('round-trips; Empty has null partitions; a null value is a tombstone', () => {
    const r = decodeTxnRecord(encodeTxnKey('tx'), encodeTxnValue(meta));
    expect(r?.metadata).toEqual({ ...meta, lastProducerEpoch: -1 });
    const empty = encodeTxnValue({ ...meta, state: TxnState.Empty, partitions: [] })!;
    expect(empty.readInt32BE(2 + 8 + 2 + 4 + 1)).toBe(-1);
    expect(decodeTxnRecord(encodeTxnKey('tx'), null)).toEqual({ transactionalId: 'tx', metadata: null });
  });

  it('skips unknown versions, as Kafka does, and refuses garbage', () => {
    expect(decodeTxnRecord(Buffer.from('0001', 'hex'), null)).toBeNull();
    const v = encodeTxnValue(meta)!;
    v.writeInt16BE(9, 0);
    expect(decodeTxnRecord(encodeTxnKey('tx'), v)).toBeNull();
    expect(() => decodeTxnRecord(encodeTxnKey('tx'), Buffer.from('0000ff', 'hex'))).toThrow();
    expect(() => decodeTxnRecord(null, null)).toThrow();
  });
});
