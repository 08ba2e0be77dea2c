/**
 * Request helpers shared by the checks: produce one batch, fetch one
 * partition, list one offset, read metadata, at an exact version, returning
 * the partition-level answer. They check nothing themselves beyond finding
 * the partition in the response; the checks judge the answers.
 */
import { ZERO_UUID } from '../protocol/primitives/index.js';
import { buildBatchSync, type BuildBatchOptions, type DecodedRecord, type RecordInput } from '../protocol/records.js';
import { BATCH_OVERHEAD, batchPositions } from '../protocol/record-batch.js';
import type { KafkaConnection, Res } from './connection.js';
import { fail, find } from './assert.js';
import type { Suite, TopicInfo } from './suite.js';

export const Api = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  AddPartitionsToTxn: 24,
  AddOffsetsToTxn: 25,
  EndTxn: 26,
  WriteTxnMarkers: 27,
  TxnOffsetCommit: 28,
  DescribeConfigs: 32,
  AlterConfigs: 33,
  DeleteGroups: 42,
  IncrementalAlterConfigs: 44,
  OffsetDelete: 47,
  CreatePartitions: 37,
  DescribeCluster: 60,
  DescribeProducers: 61,
  DescribeTransactions: 65,
  ListTransactions: 66,
} as const;

export type ProducePartition = Res<0>['responses'][number]['partitionResponses'][number];
export type FetchPartition = Res<1>['responses'][number]['partitions'][number];
export type ListOffsetsPartition = Res<2>['topics'][number]['partitions'][number];

/** A batch built the way a client builds one: CreateTime timestamps from now. */
export function batch(records: readonly RecordInput[], opts: Omit<BuildBatchOptions, 'records'> = {}): Buffer {
  return buildBatchSync({ defaultTimestamp: Date.now(), ...opts, records });
}

/** Records exercising the edge cases: a null key, an empty value, headers (one with a null value). */
export function sampleRecords(tag: string, n = 3): RecordInput[] {
  const out: RecordInput[] = [
    { key: `${tag}-key-0`, value: `${tag}-value-0`, headers: [{ key: 'h1', value: 'v1' }, { key: 'h2', value: null }] },
    { key: null, value: `${tag}-null-key` },
    { key: `${tag}-empty-value`, value: Buffer.alloc(0) },
  ];
  for (let i = out.length; i < n; i++) out.push({ key: `${tag}-key-${i}`, value: `${tag}-value-${i}` });
  return out.slice(0, Math.max(n, 1));
}

export async function produce(
  c: KafkaConnection,
  version: number,
  topic: string,
  partition: number,
  records: Buffer,
  opts: { acks?: number; timeoutMs?: number } = {},
): Promise<ProducePartition> {
  const res = await c.request(0, version, {
    transactionalId: null,
    acks: opts.acks ?? -1,
    timeoutMs: opts.timeoutMs ?? 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const t = find(res.responses, (r) => r.name === topic, `topic ${topic}`);
  return find(t.partitionResponses, (p) => p.index === partition, `partition ${partition}`);
}

export interface FetchOptions {
  maxWaitMs?: number;
  minBytes?: number;
  maxBytes?: number;
  partitionMaxBytes?: number;
  currentLeaderEpoch?: number;
  isolationLevel?: number;
  sessionId?: number;
  sessionEpoch?: number;
  timeoutMs?: number;
  /** Fetch by this topic id (v13+) instead of the topic's own. */
  topicId?: string;
}

export async function fetchRaw(c: KafkaConnection, version: number, topic: { name: string; id: string }, partition: number, offset: number | bigint, o: FetchOptions = {}): Promise<Res<1>> {
  const maxWaitMs = o.maxWaitMs ?? 0;
  return c.request(
    1,
    version,
    {
      replicaId: -1,
      maxWaitMs,
      minBytes: o.minBytes ?? 0,
      maxBytes: o.maxBytes ?? 0x7fffffff,
      isolationLevel: o.isolationLevel ?? 0,
      sessionId: o.sessionId ?? 0,
      sessionEpoch: o.sessionEpoch ?? -1,
      topics: [
        {
          topic: topic.name,
          topicId: o.topicId ?? topic.id,
          partitions: [
            {
              partition,
              currentLeaderEpoch: o.currentLeaderEpoch ?? -1,
              fetchOffset: BigInt(offset),
              logStartOffset: -1n,
              partitionMaxBytes: o.partitionMaxBytes ?? 4 * 1024 * 1024,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    },
    { timeoutMs: o.timeoutMs ?? maxWaitMs + 10_000 },
  );
}

/** The single partition of a one-partition fetch. */
export function fetchedPartition(res: Res<1>, partition: number): FetchPartition {
  const t = res.responses[0];
  if (!t || res.responses.length !== 1) fail(`expected one topic in the fetch response, got ${res.responses.length}`);
  return find(t.partitions, (p) => p.partitionIndex === partition, `partition ${partition}`);
}

export async function fetchPartition(c: KafkaConnection, version: number, topic: { name: string; id: string }, partition: number, offset: number | bigint, o: FetchOptions = {}): Promise<FetchPartition> {
  const res = await fetchRaw(c, version, topic, partition, offset, o);
  if (version >= 7 && res.errorCode !== 0) fail(`fetch answered top-level error ${res.errorCode}`);
  return fetchedPartition(res, partition);
}

export async function listOffset(
  c: KafkaConnection,
  version: number,
  topic: string,
  partition: number,
  timestamp: bigint,
  o: { isolationLevel?: number; currentLeaderEpoch?: number } = {},
): Promise<{ errorCode: number; offset: bigint; timestamp: bigint; leaderEpoch: number }> {
  const res = await c.request(2, version, {
    replicaId: -1,
    isolationLevel: o.isolationLevel ?? 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: o.currentLeaderEpoch ?? -1, timestamp, maxNumOffsets: 1 }] }],
    timeoutMs: 10_000,
  });
  const t = find(res.topics, (x) => x.name === topic, `topic ${topic}`);
  const p = find(t.partitions, (x) => x.partitionIndex === partition, `partition ${partition}`);
  const offset = version === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset;
  return { errorCode: p.errorCode, offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch };
}

/** Log end (high watermark) of a partition, at the highest ListOffsets version. */
export async function latestOffset(suite: Suite, c: KafkaConnection, topic: string, partition = 0): Promise<bigint> {
  const r = await listOffset(c, suite.maxVersion(2), topic, partition, -1n);
  if (r.errorCode !== 0) fail(`ListOffsets latest for ${topic}-${partition} answered error ${r.errorCode}`);
  return r.offset;
}

export async function metadata(c: KafkaConnection, version: number, names: string[] | null, allowAuto = false): Promise<Res<3>> {
  return c.request(3, version, {
    topics: names === null ? (version === 0 ? [] : null) : names.map((name) => ({ name, topicId: ZERO_UUID })),
    // v0-3 have no flag: those versions always allow auto-creation.
    ...(version >= 4 ? { allowAutoTopicCreation: allowAuto } : {}),
  });
}

/** The batches of a fetched record set (a trailing partial batch is ignored). */
export function splitBatches(records: Buffer | null): Buffer[] {
  if (!records) return [];
  return [...batchPositions(records)].map(([pos, size]) => records.subarray(pos, pos + size));
}

/**
 * Whether a stored batch is the produced one: everything but the fields the
 * broker assigns (baseOffset, partitionLeaderEpoch) must be byte-identical,
 * CRC included.
 */
export function sameBatch(stored: Buffer, sent: Buffer): string | null {
  if (stored.length !== sent.length) return `stored batch is ${stored.length} bytes, sent ${sent.length}`;
  if (!stored.subarray(BATCH_OVERHEAD - 4, BATCH_OVERHEAD).equals(sent.subarray(BATCH_OVERHEAD - 4, BATCH_OVERHEAD))) return 'batch length differs';
  for (let i = 16; i < sent.length; i++) {
    if (stored[i] !== sent[i]) return `byte ${i} differs (sent ${sent[i]}, fetched ${stored[i]})`;
  }
  return null;
}

export function topicRef(t: TopicInfo): { name: string; id: string } {
  return { name: t.name, id: t.id };
}

const asBytes = (v: Buffer | string | null | undefined): Buffer | null =>
  v === undefined || v === null ? null : typeof v === 'string' ? Buffer.from(v, 'utf8') : v;

const sameBytes = (a: Buffer | null, b: Buffer | null): boolean => (a === null || b === null ? a === b : a.equals(b));

/** Compares decoded records with what was produced: count, keys, values, headers, in order. */
export function expectRecords(got: readonly DecodedRecord[], sent: readonly RecordInput[], what: string): void {
  if (got.length !== sent.length) fail(`${what}: ${got.length} records, expected ${sent.length}`);
  sent.forEach((s, i) => {
    const g = got[i]!;
    if (!sameBytes(g.key, asBytes(s.key))) fail(`${what}: record ${i} key differs`);
    if (!sameBytes(g.value, asBytes(s.value))) fail(`${what}: record ${i} value differs`);
    const hs = s.headers ?? [];
    if (g.headers.length !== hs.length) fail(`${what}: record ${i} has ${g.headers.length} headers, expected ${hs.length}`);
    hs.forEach((h, j) => {
      const gh = g.headers[j]!;
      if (gh.key !== h.key || !sameBytes(gh.value, asBytes(h.value))) fail(`${what}: record ${i} header ${j} differs`);
    });
  });
}

/** Fetches from offset at the highest shared Fetch version; the partition answer and its whole batches. */
export async function fetchBatches(suite: Suite, c: KafkaConnection, topic: TopicInfo, partition: number, offset: number | bigint): Promise<{ part: FetchPartition; batches: Buffer[] }> {
  const part = await fetchPartition(c, suite.maxVersion(Api.Fetch), topicRef(topic), partition, offset);
  if (part.errorCode !== 0) fail(`fetch of ${topic.name}-${partition} at ${offset} answered error ${part.errorCode}`);
  return { part, batches: splitBatches(part.records) };
}
