/** __consumer_offsets records use Kafka's byte layout and round-trip. */
import { describe, expect, it } from 'vitest';
import {
  CorruptGroupRecordError,
  decodeGroupRecord,
  encodeRecordKey,
  encodeRecordValue,
  groupMetadataRecord,
  offsetRecord,
} from '../../../src/group/group-records.js';

const str = (s: string): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(Buffer.byteLength(s));
  return Buffer.concat([b, Buffer.from(s)]);
};
const i16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const i64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(n);
  return b;
};

describe('group records', () => {
  it('writes an offset commit as key v1 and value v3, byte for byte', () => {
    const r = offsetRecord('g', 'orders', 7, { offset: 42n, leaderEpoch: 3, metadata: 'm', commitTimestamp: 1000n, expireTimestamp: -1n });
    expect(encodeRecordKey(r)).toEqual(Buffer.concat([i16(1), str('g'), str('orders'), i32(7)]));
    expect(encodeRecordValue(r)).toEqual(Buffer.concat([i16(3), i64(42n), i32(3), str('m'), i64(1000n)]));
    expect(decodeGroupRecord(encodeRecordKey(r), encodeRecordValue(r))).toEqual(r);
  });

  it('writes value v1 when the commit has an explicit expire timestamp', () => {
    const r = offsetRecord('g', 't', 0, { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: 10n, expireTimestamp: 99n });
    expect(encodeRecordValue(r)).toEqual(Buffer.concat([i16(1), i64(5n), str(''), i64(10n), i64(99n)]));
    expect(decodeGroupRecord(encodeRecordKey(r), encodeRecordValue(r))).toEqual(r);
  });

  it('writes group metadata as key v2 and value v3 and round-trips members', () => {
    const r = groupMetadataRecord('grp', {
      protocolType: 'consumer',
      generation: 4,
      protocol: 'range',
      leader: 'm1',
      currentStateTimestamp: 123n,
      members: [
        {
          memberId: 'm1',
          groupInstanceId: 'i1',
          clientId: 'c',
          clientHost: '/127.0.0.1',
          rebalanceTimeout: 60000,
          sessionTimeout: 10000,
          subscription: Buffer.from([1, 2]),
          assignment: Buffer.from([3]),
        },
      ],
    });
    expect(encodeRecordKey(r)).toEqual(Buffer.concat([i16(2), str('grp')]));
    const value = encodeRecordValue(r) as Buffer;
    expect(value.readInt16BE(0)).toBe(3);
    expect(decodeGroupRecord(encodeRecordKey(r), value)).toEqual(r);
  });

  it('reads tombstones, skips record types it does not handle, rejects garbage', () => {
    const key = encodeRecordKey(groupMetadataRecord('grp', null));
    expect(decodeGroupRecord(key, null)).toEqual(groupMetadataRecord('grp', null));
    expect(encodeRecordValue(groupMetadataRecord('grp', null))).toBeNull();
    expect(decodeGroupRecord(Buffer.concat([i16(3), str('consumer-group')]), Buffer.from([0, 0]))).toBeNull();
    expect(() => decodeGroupRecord(Buffer.from([0, 1, 0]), null)).toThrow(CorruptGroupRecordError);
    expect(() => decodeGroupRecord(null, null)).toThrow(CorruptGroupRecordError);
    expect(() => decodeGroupRecord(key, Buffer.concat([i16(9), Buffer.alloc(8)]))).toThrow(CorruptGroupRecordError);
  });
});
