/**
 * The records of the __consumer_offsets topic, in Kafka's formats
 * (group-coordinator/*.json): a record key is an int16 version followed by
 * the key body, a value an int16 version followed by the value body, and a
 * null value is a tombstone (removed by compaction).
 *
 *   key version 0/1  OffsetCommitKey   (group, topic, partition)
 *   key version 2    GroupMetadataKey  (group)
 *   key version 3+   KIP-848 consumer/share group records: not written by
 *                    Krill yet, skipped when loading.
 *
 * Values are written at the versions Kafka writes: OffsetCommitValue v3
 * (v1 when the commit carries an explicit expire timestamp, the only
 * version with that field) and GroupMetadataValue v3, so standard tooling
 * (kafka-console-consumer's offsets formatter) reads the topic.
 */
import { Reader, Writer } from '../protocol/primitives/index.js';
import { decodeOffsetCommitKey, encodeOffsetCommitKey } from '../protocol/generated/group-coordinator/offset-commit-key.js';
import { decodeOffsetCommitValue, encodeOffsetCommitValue, type OffsetCommitValue } from '../protocol/generated/group-coordinator/offset-commit-value.js';
import { decodeGroupMetadataKey, encodeGroupMetadataKey } from '../protocol/generated/group-coordinator/group-metadata-key.js';
import { decodeGroupMetadataValue, encodeGroupMetadataValue, type GroupMetadataValue } from '../protocol/generated/group-coordinator/group-metadata-value.js';

export const OFFSETS_TOPIC = '__consumer_offsets';

const OFFSET_COMMIT_KEY_VERSION = 1;
const GROUP_METADATA_KEY_VERSION = 2;
const OFFSET_COMMIT_VALUE_VERSION = 3;
const OFFSET_COMMIT_VALUE_WITH_EXPIRY = 1;
const GROUP_METADATA_VALUE_VERSION = 3;
const HIGHEST_VALUE_VERSION = 4;

export interface OffsetRecord {
  readonly kind: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** null: the offset is deleted (tombstone). */
  readonly value: OffsetCommitValue | null;
}

export interface GroupMetadataRecord {
  readonly kind: 'group';
  readonly group: string;
  /** null: the group is deleted (tombstone). */
  readonly value: GroupMetadataValue | null;
}

export type GroupRecord = OffsetRecord | GroupMetadataRecord;

export class CorruptGroupRecordError extends Error {
  readonly code = 'KRILL_CORRUPT_GROUP_RECORD';
}

export function offsetRecord(group: string, topic: string, partition: number, value: OffsetCommitValue | null): OffsetRecord {
  return { kind: 'offset', group, topic, partition, value };
}

export function groupMetadataRecord(group: string, value: GroupMetadataValue | null): GroupMetadataRecord {
  return { kind: 'group', group, value };
}

export function encodeRecordKey(r: GroupRecord): Buffer {
  const w = new Writer(64);
  if (r.kind === 'offset') {
    w.int16(OFFSET_COMMIT_KEY_VERSION);
    encodeOffsetCommitKey(w, OFFSET_COMMIT_KEY_VERSION, { group: r.group, topic: r.topic, partition: r.partition });
  } else {
    w.int16(GROUP_METADATA_KEY_VERSION);
    encodeGroupMetadataKey(w, GROUP_METADATA_KEY_VERSION, { group: r.group });
  }
  return w.toBuffer();
}

export function encodeRecordValue(r: GroupRecord): Buffer | null {
  if (r.value === null) return null;
  const w = new Writer(128);
  if (r.kind === 'offset') {
    const version = r.value.expireTimestamp >= 0n ? OFFSET_COMMIT_VALUE_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
    w.int16(version);
    encodeOffsetCommitValue(w, version, r.value);
  } else {
    w.int16(GROUP_METADATA_VALUE_VERSION);
    encodeGroupMetadataValue(w, GROUP_METADATA_VALUE_VERSION, r.value);
  }
  return w.toBuffer();
}

function valueVersion(r: Reader, what: string): number {
  const v = r.int16();
  if (v < 0 || v > HIGHEST_VALUE_VERSION) throw new CorruptGroupRecordError(`${what} value version ${v} is unknown`);
  return v;
}

/**
 * Decodes one __consumer_offsets record. Returns null for record types this
 * coordinator does not handle (KIP-848 and share group records); throws
 * CorruptGroupRecordError for bytes that do not parse.
 */
export function decodeGroupRecord(key: Buffer | null, value: Buffer | null): GroupRecord | null {
  if (key === null) throw new CorruptGroupRecordError('record without a key in __consumer_offsets');
  try {
    const r = new Reader(key);
    const keyVersion = r.int16();
    if (keyVersion === 0 || keyVersion === OFFSET_COMMIT_KEY_VERSION) {
      const k = decodeOffsetCommitKey(r, keyVersion);
      if (value === null) return offsetRecord(k.group, k.topic, k.partition, null);
      const vr = new Reader(value);
      return offsetRecord(k.group, k.topic, k.partition, decodeOffsetCommitValue(vr, valueVersion(vr, 'offset commit')));
    }
    if (keyVersion === GROUP_METADATA_KEY_VERSION) {
      const k = decodeGroupMetadataKey(r, keyVersion);
      if (value === null) return groupMetadataRecord(k.group, null);
      const vr = new Reader(value);
      return groupMetadataRecord(k.group, decodeGroupMetadataValue(vr, valueVersion(vr, 'group metadata')));
    }
    if (keyVersion < 0) throw new CorruptGroupRecordError(`negative record key version ${keyVersion}`);
    return null;
  } catch (err) {
    if (err instanceof CorruptGroupRecordError) throw err;
    throw new CorruptGroupRecordError(`undecodable __consumer_offsets record: ${(err as Error).message}`);
  }
}
