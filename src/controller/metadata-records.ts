/**
 * Metadata records as KRaft frames them in the metadata log's record values:
 * uvarint frame version (1), uvarint record type (the schema's apiKey),
 * uvarint record version, then the record body.
 */
import { Reader, Writer, type Input } from '../protocol/primitives/index.js';
import { DecodeError } from '../protocol/errors.js';
import { configRecordMeta, type ConfigRecord } from '../protocol/generated/metadata/config-record.js';
import { fenceBrokerRecordMeta, type FenceBrokerRecord } from '../protocol/generated/metadata/fence-broker-record.js';
import { partitionChangeRecordMeta, type PartitionChangeRecord } from '../protocol/generated/metadata/partition-change-record.js';
import { partitionRecordMeta, type PartitionRecord } from '../protocol/generated/metadata/partition-record.js';
import { producerIdsRecordMeta, type ProducerIdsRecord } from '../protocol/generated/metadata/producer-ids-record.js';
import { registerBrokerRecordMeta, type RegisterBrokerRecord } from '../protocol/generated/metadata/register-broker-record.js';
import { removeTopicRecordMeta, type RemoveTopicRecord } from '../protocol/generated/metadata/remove-topic-record.js';
import { topicRecordMeta, type TopicRecord } from '../protocol/generated/metadata/topic-record.js';
import { unfenceBrokerRecordMeta, type UnfenceBrokerRecord } from '../protocol/generated/metadata/unfence-broker-record.js';
import { noOpRecordMeta, type NoOpRecord } from '../protocol/generated/metadata/no-op-record.js';

export type MetadataRecord =
  | { type: 'Topic'; data: TopicRecord }
  | { type: 'Partition'; data: PartitionRecord }
  | { type: 'PartitionChange'; data: PartitionChangeRecord }
  | { type: 'Config'; data: ConfigRecord }
  | { type: 'RemoveTopic'; data: RemoveTopicRecord }
  | { type: 'RegisterBroker'; data: RegisterBrokerRecord }
  | { type: 'FenceBroker'; data: FenceBrokerRecord }
  | { type: 'UnfenceBroker'; data: UnfenceBrokerRecord }
  | { type: 'ProducerIds'; data: ProducerIdsRecord }
  | { type: 'NoOp'; data: NoOpRecord };

interface Codec {
  apiKey: number;
  maxVersion: number;
  decode(r: Reader, v: number): unknown;
  encode(w: Writer, v: number, m: never): void;
}

const CODECS: Record<MetadataRecord['type'], Codec> = {
  Topic: topicRecordMeta,
  Partition: partitionRecordMeta,
  PartitionChange: partitionChangeRecordMeta,
  Config: configRecordMeta,
  RemoveTopic: removeTopicRecordMeta,
  RegisterBroker: registerBrokerRecordMeta,
  FenceBroker: fenceBrokerRecordMeta,
  UnfenceBroker: unfenceBrokerRecordMeta,
  ProducerIds: producerIdsRecordMeta,
  NoOp: noOpRecordMeta,
};
const BY_KEY = new Map<number, MetadataRecord['type']>(
  (Object.entries(CODECS) as Array<[MetadataRecord['type'], Codec]>).map(([t, c]) => [c.apiKey, t]),
);

const FRAME_VERSION = 1;

/** Version written for each record type: the newest Krill knows. */
function versionOf(type: MetadataRecord['type']): number {
  return CODECS[type].maxVersion;
}

export type MetadataRecordInput = { [T in MetadataRecord['type']]: { type: T; data: Input<Extract<MetadataRecord, { type: T }>['data']> } }[MetadataRecord['type']];

export function encodeMetadataRecord(rec: MetadataRecordInput): Buffer {
  const codec = CODECS[rec.type];
  const v = versionOf(rec.type);
  const w = new Writer(128);
  w.uvarint(FRAME_VERSION).uvarint(codec.apiKey).uvarint(v);
  codec.encode(w, v, rec.data as never);
  return w.toBuffer();
}

/** Decodes a record value; unknown record types are returned as null (skipped on replay). */
export function decodeMetadataRecord(value: Buffer): MetadataRecord | null {
  const r = new Reader(value);
  const frame = r.uvarint();
  if (frame !== FRAME_VERSION) throw new DecodeError(`unknown metadata record frame version ${frame}`);
  const key = r.uvarint();
  const version = r.uvarint();
  const type = BY_KEY.get(key);
  if (!type) return null;
  const data = CODECS[type].decode(r, version);
  return { type, data } as MetadataRecord;
}
