/**
 * Control records: the single record of a control batch (attributes bit
 * 0x20). Its key is int16 version + int16 type; for transaction markers
 * (abort, commit) the value is int16 version + int32 coordinator epoch.
 * Mirrors Kafka's ControlRecordType and EndTransactionMarker; unknown types
 * decode (Kafka logs and keeps them), a key shorter than four bytes or with a
 * negative version is corrupt.
 */
import { CorruptRecordError } from './record-errors.js';

export enum ControlRecordType {
  Abort = 0,
  Commit = 1,
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

export interface ControlKey {
  version: number;
  type: number;
}

export interface EndTxnMarker {
  version: number;
  coordinatorEpoch: number;
}

const CONTROL_KEY_SIZE = 4;
const END_TXN_MARKER_SIZE = 6;

export function encodeControlKey(type: ControlRecordType, version = 0): Buffer {
  const key = Buffer.alloc(CONTROL_KEY_SIZE);
  key.writeInt16BE(version, 0);
  key.writeInt16BE(type, 2);
  return key;
}

export function decodeControlKey(key: Buffer | null): ControlKey {
  if (key === null || key.length < CONTROL_KEY_SIZE) {
    throw new CorruptRecordError(`control record key of ${key === null ? 'null' : key.length + ' bytes'}, need 4`);
  }
  const version = key.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`negative control record key version ${version}`);
  return { version, type: key.readInt16BE(2) };
}

export function encodeEndTxnMarker(coordinatorEpoch: number, version = 0): Buffer {
  const value = Buffer.alloc(END_TXN_MARKER_SIZE);
  value.writeInt16BE(version, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return value;
}

export function decodeEndTxnMarker(value: Buffer | null): EndTxnMarker {
  if (value === null || value.length < END_TXN_MARKER_SIZE) {
    throw new CorruptRecordError('end transaction marker shorter than 6 bytes');
  }
  const version = value.readInt16BE(0);
  if (version < 0) throw new CorruptRecordError(`negative end transaction marker version ${version}`);
  return { version, coordinatorEpoch: value.readInt32BE(2) };
}

/** The key and value of a commit or abort marker record, ready for buildBatch({ control: true }). */
export function endTxnMarkerRecord(
  type: ControlRecordType.Abort | ControlRecordType.Commit,
  coordinatorEpoch: number,
): { key: Buffer; value: Buffer } {
  return { key: encodeControlKey(type), value: encodeEndTxnMarker(coordinatorEpoch) };
}
