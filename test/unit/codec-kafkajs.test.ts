/**
 * Cross-implementation check against kafkajs@2.2.4's own protocol code.
 *
 * Requests: frames built by kafkajs (request.js: size, header v1, body from
 * requests/<api>/v<N>/request.js) must decode with the generated RequestHeader
 * and request decoders to exactly what was passed to kafkajs.
 * Responses: bodies encoded by the generated encoders must decode with kafkajs's
 * requests/<api>/v<N>/response.js (decode, then parse) to what Krill encoded.
 *
 * kafkajs only speaks non-flexible versions, so these cover header v1 and the
 * classic encodings; codec-roundtrip.test.ts covers the flexible ones.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { API_SCHEMAS } from '../../src/protocol/generated/api-keys.js';
import { decodeRequestHeader, type RequestHeader } from '../../src/protocol/generated/request-header.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import { checkBatch, readBatchHeader } from '../../src/protocol/record-batch.js';

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  encode(): Promise<unknown>;
}
interface KafkajsEncoder {
  buffer: Buffer;
}
interface KafkajsResponse {
  decode(raw: Buffer): Promise<Record<string, unknown>>;
  parse(data: Record<string, unknown>): Promise<Record<string, unknown>>;
}
interface Codec {
  flexibleFrom: number | null;
  decode(r: Reader, v: number): unknown;
  encode(w: Writer, v: number, m: unknown): void;
}

type Obj = Record<string, unknown>;

const createRequest = require('kafkajs/src/protocol/request.js') as (a: {
  correlationId: number;
  clientId: string;
  request: KafkajsRequest;
}) => Promise<KafkajsEncoder>;
const KafkajsEncoderClass = require('kafkajs/src/protocol/encoder.js') as new () => KafkajsEncoder & {
  writeBytes(b: Buffer): KafkajsEncoder;
};
const KafkajsDecoderClass = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (a: Obj) => Promise<KafkajsEncoder>;
};
const KafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (a: Obj) => unknown;
const decodeRecordBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (d: unknown) => Promise<{
  records: Array<{ key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer>; offset: string; timestamp: string }>;
  producerId: string;
  inTransaction: boolean;
}>;

function kafkajsRequest(api: string, v: number, args: unknown): KafkajsRequest {
  const make = require(`kafkajs/src/protocol/requests/${api}/v${v}/request.js`) as (a: unknown) => KafkajsRequest;
  return make(args);
}

function kafkajsResponse(api: string, v: number): KafkajsResponse {
  return require(`kafkajs/src/protocol/requests/${api}/v${v}/response.js`) as KafkajsResponse;
}

const codecs = (apiKey: number): { request: Codec; response: Codec } =>
  API_SCHEMAS[apiKey as keyof typeof API_SCHEMAS] as unknown as { request: Codec; response: Codec };

const CLIENT_ID = 'kafkajs-krill-🦐';

/** Builds the kafkajs frame and decodes it with Krill. */
async function decodeKafkajsFrame(req: KafkajsRequest): Promise<{ header: RequestHeader; body: Obj }> {
  const frame = (await createRequest({ correlationId: 4242, clientId: CLIENT_ID, request: req })).buffer;
  const r = new Reader(frame);
  expect(r.int32()).toBe(frame.length - 4);
  const header = decodeRequestHeader(r, 1);
  const codec = codecs(header.requestApiKey).request;
  // kafkajs never sends a flexible version, so header v1 is right.
  expect(codec.flexibleFrom === null || header.requestApiVersion < codec.flexibleFrom).toBe(true);
  const body = codec.decode(r, header.requestApiVersion) as Obj;
  expect(r.remaining).toBe(0);
  return { header, body };
}

interface RequestCase {
  api: string;
  /** Tells apart several cases of one API. */
  label?: string;
  apiKey: number;
  versions: number[];
  args: (v: number) => unknown;
  expected: (v: number) => Obj;
  check?: (body: Obj, v: number) => Promise<void> | void;
}

const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
const BIG = '9007199254740993'; // 2^53 + 1: survives only as a real 64-bit integer

const REQUEST_CASES: RequestCase[] = [
  {
    api: 'apiVersions', apiKey: 18, versions: range(0, 2),
    args: () => undefined,
    expected: () => ({ clientSoftwareName: '', clientSoftwareVersion: '' }),
  },
  {
    api: 'metadata', apiKey: 3, versions: range(0, 6),
    args: () => ({ topics: ['orders', 'Ünïcode-topic'], allowAutoTopicCreation: false }),
    expected: (v) => ({
      topics: [{ name: 'orders' }, { name: 'Ünïcode-topic' }],
      allowAutoTopicCreation: v >= 4 ? false : true,
    }),
  },
  {
    // From v1 kafkajs sends an empty topic list as null: "all topics".
    api: 'metadata', label: 'all topics', apiKey: 3, versions: range(1, 6),
    args: () => ({ topics: [] }),
    expected: () => ({ topics: null, allowAutoTopicCreation: true }),
  },
  {
    api: 'fetch', apiKey: 1, versions: range(4, 11),
    args: () => ({
      replicaId: -1, maxWaitTime: 500, minBytes: 1, maxBytes: 10_485_760, isolationLevel: 0,
      sessionId: 17, sessionEpoch: 3, rackId: 'rack-a',
      topics: [{ topic: 'orders', partitions: [
        { partition: 0, fetchOffset: BIG, maxBytes: 1_048_576, currentLeaderEpoch: 9, logStartOffset: '5' },
        { partition: 7, fetchOffset: '0', maxBytes: 4096 },
      ] }],
      forgottenTopics: [{ topic: 'old', partitions: [1, 2] }],
    }),
    expected: (v) => ({
      replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 10_485_760, isolationLevel: 0,
      sessionId: v >= 7 ? 17 : 0, sessionEpoch: v >= 7 ? 3 : -1, rackId: v >= 11 ? 'rack-a' : '',
      topics: [{ topic: 'orders', partitions: [
        { partition: 0, fetchOffset: BigInt(BIG), partitionMaxBytes: 1_048_576, currentLeaderEpoch: v >= 9 ? 9 : -1, logStartOffset: v >= 5 ? 5n : -1n },
        { partition: 7, fetchOffset: 0n, partitionMaxBytes: 4096, currentLeaderEpoch: -1, logStartOffset: -1n },
      ] }],
      forgottenTopicsData: v >= 7 ? [{ topic: 'old', partitions: [1, 2] }] : [],
    }),
  },
  {
    api: 'listOffsets', apiKey: 2, versions: range(1, 3),
    args: () => ({ replicaId: -1, isolationLevel: 1, topics: [{ topic: 't', partitions: [{ partition: 3, timestamp: -2 }, { partition: 4 }] }] }),
    expected: (v) => ({
      replicaId: -1, isolationLevel: v >= 2 ? 1 : 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 3, timestamp: -2n, maxNumOffsets: 1 }, { partitionIndex: 4, timestamp: -1n }] }],
    }),
  },
  {
    api: 'createTopics', apiKey: 19, versions: range(0, 3),
    args: () => ({
      topics: [
        { topic: 'a', numPartitions: 3, replicationFactor: 2, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'x', value: null }] },
        { topic: 'b', replicaAssignment: [{ partition: 0, replicas: [1, 2] }, { partition: 1, replicas: [2, 3] }] },
      ],
      timeout: 12_000, validateOnly: true,
    }),
    expected: (v) => ({
      topics: [
        { name: 'a', numPartitions: 3, replicationFactor: 2, assignments: [], configs: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'x', value: null }] },
        { name: 'b', numPartitions: -1, replicationFactor: -1, assignments: [{ partitionIndex: 0, brokerIds: [1, 2] }, { partitionIndex: 1, brokerIds: [2, 3] }], configs: [] },
      ],
      timeoutMs: 12_000, validateOnly: v >= 1,
    }),
  },
  {
    api: 'deleteTopics', apiKey: 20, versions: range(0, 1),
    args: () => ({ topics: ['a', 'b'], timeout: 3000 }),
    expected: () => ({ topicNames: ['a', 'b'], timeoutMs: 3000, topics: [] }),
  },
  {
    api: 'createPartitions', apiKey: 37, versions: range(0, 1),
    args: () => ({ topicPartitions: [{ topic: 'a', count: 5, assignments: [[1], [2, 3]] }, { topic: 'b', count: 2 }], timeout: 2000, validateOnly: true }),
    expected: () => ({
      // kafkajs sends "no assignments" as a null array.
      topics: [{ name: 'a', count: 5, assignments: [{ brokerIds: [1] }, { brokerIds: [2, 3] }] }, { name: 'b', count: 2, assignments: null }],
      timeoutMs: 2000, validateOnly: true,
    }),
  },
  {
    api: 'describeConfigs', apiKey: 32, versions: range(0, 2),
    args: () => ({ resources: [{ type: 2, name: 'orders', configNames: ['retention.ms'] }, { type: 4, name: '1' }], includeSynonyms: true }),
    expected: (v) => ({
      resources: [
        { resourceType: 2, resourceName: 'orders', configurationKeys: ['retention.ms'] },
        { resourceType: 4, resourceName: '1', configurationKeys: null },
      ],
      includeSynonyms: v >= 1, includeDocumentation: false,
    }),
  },
  {
    api: 'findCoordinator', apiKey: 10, versions: range(0, 2),
    args: (v) => (v === 0 ? { groupId: 'g1' } : { coordinatorKey: 'tx-1', coordinatorType: 1 }),
    expected: (v) => (v === 0 ? { key: 'g1', keyType: 0 } : { key: 'tx-1', keyType: 1 }),
  },
  {
    api: 'joinGroup', apiKey: 11, versions: range(0, 5),
    args: () => ({
      groupId: 'g1', sessionTimeout: 30_000, rebalanceTimeout: 60_000, memberId: '', groupInstanceId: 'inst-1', protocolType: 'consumer',
      groupProtocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 1]) }, { name: 'range' }],
    }),
    expected: (v) => ({
      groupId: 'g1', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: v >= 1 ? 60_000 : -1, memberId: '',
      groupInstanceId: v >= 5 ? 'inst-1' : null, protocolType: 'consumer',
      protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from([0, 1, 0, 0, 0, 1]) }, { name: 'range', metadata: Buffer.alloc(0) }],
    }),
  },
  {
    api: 'syncGroup', apiKey: 14, versions: range(0, 3),
    args: () => ({ groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: 'inst-1', groupAssignment: [{ memberId: 'm-1', memberAssignment: Buffer.from('assign') }] }),
    expected: (v) => ({
      groupId: 'g1', generationId: 4, memberId: 'm-1', groupInstanceId: v >= 3 ? 'inst-1' : null,
      assignments: [{ memberId: 'm-1', assignment: Buffer.from('assign') }],
    }),
  },
  {
    api: 'heartbeat', apiKey: 12, versions: range(0, 3),
    args: (v) => ({ groupId: 'g1', groupGenerationId: 9, memberId: 'm-1', ...(v >= 3 ? { groupInstanceId: 'inst-1' } : {}) }),
    expected: (v) => ({ groupId: 'g1', generationId: 9, memberId: 'm-1', groupInstanceId: v >= 3 ? 'inst-1' : null }),
  },
  {
    api: 'leaveGroup', apiKey: 13, versions: range(0, 3),
    args: (v) => (v < 3 ? { groupId: 'g1', memberId: 'm-1' } : { groupId: 'g1', members: [{ memberId: 'm-1' }, { memberId: 'm-2', groupInstanceId: 'i-2' }] }),
    expected: (v) => (v < 3
      ? { groupId: 'g1', memberId: 'm-1', members: [] }
      : { groupId: 'g1', memberId: '', members: [{ memberId: 'm-1', groupInstanceId: null }, { memberId: 'm-2', groupInstanceId: 'i-2' }] }),
  },
  {
    api: 'offsetCommit', apiKey: 8, versions: range(2, 5),
    args: () => ({
      groupId: 'g1', groupGenerationId: 5, memberId: 'm-1', retentionTime: -1,
      topics: [{ topic: 't', partitions: [{ partition: 0, offset: BIG, metadata: 'meta' }, { partition: 1, offset: '7' }] }],
    }),
    expected: () => ({
      groupId: 'g1', generationIdOrMemberEpoch: 5, memberId: 'm-1', retentionTimeMs: -1n,
      topics: [{ name: 't', partitions: [
        { partitionIndex: 0, committedOffset: BigInt(BIG), committedMetadata: 'meta', committedLeaderEpoch: -1 },
        { partitionIndex: 1, committedOffset: 7n, committedMetadata: null },
      ] }],
    }),
  },
  {
    api: 'offsetFetch', apiKey: 9, versions: range(1, 4),
    args: () => ({ groupId: 'g1', topics: [{ topic: 't', partitions: [{ partition: 0 }, { partition: 2 }] }] }),
    expected: () => ({ groupId: 'g1', topics: [{ name: 't', partitionIndexes: [0, 2] }], requireStable: false, groups: [] }),
  },
  {
    // From v3 kafkajs asks for all topics with a null array.
    api: 'offsetFetch', label: 'all topics', apiKey: 9, versions: range(3, 4),
    args: () => ({ groupId: 'g1', topics: [] }),
    expected: () => ({ groupId: 'g1', topics: null }),
  },
  {
    api: 'initProducerId', apiKey: 22, versions: range(0, 1),
    args: () => ({ transactionalId: 'tx-1', transactionTimeout: 60_000 }),
    expected: () => ({ transactionalId: 'tx-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }),
  },
  {
    api: 'initProducerId', label: 'idempotent only', apiKey: 22, versions: [0],
    args: () => ({ transactionalId: null, transactionTimeout: 1000 }),
    expected: () => ({ transactionalId: null }),
  },
  {
    api: 'describeGroups', apiKey: 15, versions: range(0, 2),
    args: () => ({ groupIds: ['g1', 'g2'] }),
    expected: () => ({ groups: ['g1', 'g2'], includeAuthorizedOperations: false }),
  },
  {
    api: 'listGroups', apiKey: 16, versions: range(0, 2),
    args: () => undefined,
    expected: () => ({ statesFilter: [], typesFilter: [] }),
  },
  {
    api: 'saslHandshake', apiKey: 17, versions: range(0, 1),
    args: () => ({ mechanism: 'SCRAM-SHA-256' }),
    expected: () => ({ mechanism: 'SCRAM-SHA-256' }),
  },
  {
    api: 'saslAuthenticate', apiKey: 36, versions: range(0, 1),
    // kafkajs mechanisms hand over bytes already framed with their int32 length.
    args: () => ({ authBytes: new KafkajsEncoderClass().writeBytes(Buffer.from('\0user\0pässword')).buffer }),
    expected: () => ({ authBytes: Buffer.from('\0user\0pässword') }),
  },
  {
    api: 'deleteGroups', apiKey: 42, versions: range(0, 1),
    args: () => ['g1', 'g2'],
    expected: () => ({ groupsNames: ['g1', 'g2'] }),
  },
  {
    api: 'addPartitionsToTxn', apiKey: 24, versions: range(0, 1),
    args: () => ({ transactionalId: 'tx-1', producerId: BIG, producerEpoch: 2, topics: [{ topic: 't', partitions: [0, 1, 5] }] }),
    expected: () => ({
      v3AndBelowTransactionalId: 'tx-1', v3AndBelowProducerId: BigInt(BIG), v3AndBelowProducerEpoch: 2,
      v3AndBelowTopics: [{ name: 't', partitions: [0, 1, 5] }], transactions: [],
    }),
  },
  {
    api: 'addOffsetsToTxn', apiKey: 25, versions: range(0, 1),
    args: () => ({ transactionalId: 'tx-1', producerId: '12', producerEpoch: 2, groupId: 'g1' }),
    expected: () => ({ transactionalId: 'tx-1', producerId: 12n, producerEpoch: 2, groupId: 'g1' }),
  },
  {
    api: 'txnOffsetCommit', apiKey: 28, versions: range(0, 1),
    args: () => ({ transactionalId: 'tx-1', groupId: 'g1', producerId: '12', producerEpoch: 2, topics: [{ topic: 't', partitions: [{ partition: 0, offset: '99', metadata: null }] }] }),
    expected: () => ({
      transactionalId: 'tx-1', groupId: 'g1', producerId: 12n, producerEpoch: 2,
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 99n, committedMetadata: null, committedLeaderEpoch: -1 }] }],
    }),
  },
  {
    api: 'endTxn', apiKey: 26, versions: range(0, 1),
    args: () => ({ transactionalId: 'tx-1', producerId: '12', producerEpoch: 2, transactionResult: true }),
    expected: () => ({ transactionalId: 'tx-1', producerId: 12n, producerEpoch: 2, committed: true }),
  },
  {
    api: 'deleteRecords', apiKey: 21, versions: range(0, 1),
    args: () => ({ topics: [{ topic: 't', partitions: [{ partition: 0, offset: '42' }] }], timeout: 100 }),
    expected: () => ({ topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 42n }] }], timeoutMs: 100 }),
  },
];

const PRODUCE_MESSAGES = [
  { key: 'k1', value: 'value-1 ✓', headers: { trace: 'abc', multi: ['x', 'y'] }, timestamp: 1_700_000_000_000 },
  { key: null, value: Buffer.from([0, 255, 7]), timestamp: 1_700_000_000_005 },
];

describe('kafkajs requests decode with Krill', () => {
  const cases = REQUEST_CASES.flatMap((c) => c.versions.map((v) => [`${c.api} v${v}${c.label ? ` (${c.label})` : ''}`, c, v] as const));

  it.each(cases)('%s', async (_name, c, v) => {
    const { header, body } = await decodeKafkajsFrame(kafkajsRequest(c.api, v, c.args(v)));
    expect(header).toMatchObject({ requestApiKey: c.apiKey, requestApiVersion: v, correlationId: 4242, clientId: CLIENT_ID });
    expect(body).toMatchObject(c.expected(v));
    await c.check?.(body, v);
  });

  it('covers every API and version the brief asks for', () => {
    const covered = new Set(cases.map(([name]) => name));
    const wanted: Array<[string, number, number]> = [
      ['apiVersions', 0, 2], ['metadata', 0, 6], ['fetch', 4, 11], ['listOffsets', 1, 3], ['createTopics', 2, 3],
      ['deleteTopics', 1, 1], ['createPartitions', 0, 1], ['describeConfigs', 1, 2], ['findCoordinator', 0, 2],
      ['joinGroup', 2, 5], ['syncGroup', 0, 3], ['heartbeat', 0, 3], ['leaveGroup', 0, 3], ['offsetCommit', 2, 5],
      ['offsetFetch', 1, 4], ['initProducerId', 0, 1], ['describeGroups', 0, 2], ['listGroups', 0, 2],
      ['saslHandshake', 0, 1], ['deleteGroups', 0, 1], ['addPartitionsToTxn', 0, 1], ['endTxn', 0, 1],
    ];
    for (const [api, lo, hi] of wanted) for (const v of range(lo, hi)) expect(covered.has(`${api} v${v}`), `${api} v${v}`).toBe(true);
  });

  describe.each(range(3, 7))('produce v%i with a record batch built by kafkajs', (v) => {
    it.each([
      ['plain', { transactionalId: null, compression: 0 }],
      ['transactional, gzip', { transactionalId: 'tx-1', producerId: '12', producerEpoch: 3, compression: 1 }],
    ] as const)('%s', async (_name, opts) => {
      const req = kafkajsRequest('produce', v, {
        acks: -1, timeout: 30_000, ...opts,
        topicData: [{ topic: 'orders', partitions: [{ partition: 2, firstSequence: 5, messages: PRODUCE_MESSAGES }] }],
      });
      const { header, body } = await decodeKafkajsFrame(req);
      expect(header).toMatchObject({ requestApiKey: 0, requestApiVersion: v });
      expect(body).toMatchObject({ transactionalId: opts.transactionalId, acks: -1, timeoutMs: 30_000 });
      const topics = body.topicData as Array<{ name: string; partitionData: Array<{ index: number; records: Buffer }> }>;
      expect(topics).toHaveLength(1);
      expect(topics[0].name).toBe('orders');
      expect(topics[0].partitionData.map((p) => p.index)).toEqual([2]);
      const records = topics[0].partitionData[0].records;
      // The batch arrives intact: Krill's own header view accepts it...
      expect(checkBatch(records)).toBeNull();
      expect(readBatchHeader(records)).toMatchObject({
        magic: 2, recordCount: 2, lastOffsetDelta: 1, baseSequence: 5,
        producerId: opts.transactionalId ? 12n : -1n, attributes: (opts.transactionalId ? 0x10 : 0) | opts.compression,
      });
      // ...and kafkajs reads back the same records from the bytes Krill decoded.
      const batch = await decodeRecordBatch(new KafkajsDecoderClass(records));
      expect(batch.records.map((r) => [r.key?.toString() ?? null, r.value, r.headers])).toEqual([
        ['k1', Buffer.from('value-1 ✓'), { trace: Buffer.from('abc'), multi: [Buffer.from('x'), Buffer.from('y')] }],
        [null, Buffer.from([0, 255, 7]), {}],
      ]);
    });
  });
});

// ---------------------------------------------------------------------------
// Responses: Krill encodes, kafkajs decodes.

function encodeResponse(apiKey: number, v: number, m: Obj): Buffer {
  const codec = codecs(apiKey).response;
  expect(codec.flexibleFrom === null || v < codec.flexibleFrom).toBe(true);
  const w = new Writer(64);
  codec.encode(w, v, m);
  return w.toBuffer();
}

async function kafkajsDecode(api: string, v: number, body: Buffer): Promise<Obj> {
  const res = kafkajsResponse(api, v);
  return res.parse(await res.decode(body));
}

/** A record batch as kafkajs's producer would write it, with offsets from `base`. */
async function kafkajsBatch(base: string): Promise<Buffer> {
  const records = [
    KafkajsRecord({ offsetDelta: 0, timestampDelta: 0, key: Buffer.from('k1'), value: Buffer.from('hello'), headers: { h: 'v' } }),
    KafkajsRecord({ offsetDelta: 1, timestampDelta: 3, key: null, value: Buffer.from('wörld') }),
  ];
  const batch = await RecordBatch({ records, firstOffset: base, firstTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_003, lastOffsetDelta: 1 });
  return batch.buffer;
}

describe('Krill responses decode with kafkajs', () => {
  it.each(range(0, 6))('metadata v%i', async (v) => {
    const body = encodeResponse(3, v, {
      throttleTimeMs: 7,
      brokers: [{ nodeId: 1, host: 'broker-1.local', port: 9092, rack: 'r1' }, { nodeId: 2, host: 'b2', port: 9093, rack: null }],
      clusterId: 'krill-cluster',
      controllerId: 2,
      topics: [{
        errorCode: 0, name: 'orders', isInternal: false,
        partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1, 2], isrNodes: [1], offlineReplicas: [2] }],
      }],
    });
    const d = await kafkajsDecode('metadata', v, body);
    expect(d.brokers).toEqual([
      { nodeId: 1, host: 'broker-1.local', port: 9092, ...(v >= 1 ? { rack: 'r1' } : {}) },
      { nodeId: 2, host: 'b2', port: 9093, ...(v >= 1 ? { rack: null } : {}) },
    ]);
    if (v >= 2) expect(d.clusterId).toBe('krill-cluster');
    if (v >= 1) expect(d.controllerId).toBe(2);
    const topics = d.topicMetadata as Obj[];
    expect(topics).toHaveLength(1);
    expect(topics[0]).toMatchObject({ topicErrorCode: 0, topic: 'orders', ...(v >= 1 ? { isInternal: false } : {}) });
    expect(topics[0].partitionMetadata).toEqual([{
      partitionErrorCode: 0, partitionId: 0, leader: 1, replicas: [1, 2], isr: [1], ...(v >= 5 ? { offlineReplicas: [2] } : {}),
    }]);
    if (v >= 3) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(7);
  });

  it.each(range(3, 7))('produce v%i', async (v) => {
    const body = encodeResponse(0, v, {
      responses: [{ name: 'orders', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: BigInt(BIG), logAppendTimeMs: 1_700_000_000_000n, logStartOffset: 10n }] }],
      throttleTimeMs: 5,
    });
    const d = await kafkajsDecode('produce', v, body);
    expect(d.topics).toEqual([{
      topicName: 'orders',
      partitions: [{ partition: 2, errorCode: 0, baseOffset: BIG, logAppendTime: '1700000000000', ...(v >= 5 ? { logStartOffset: '10' } : {}) }],
    }]);
    expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(5);
  });

  it.each(range(4, 11))('fetch v%i with records', async (v) => {
    const records = Buffer.concat([await kafkajsBatch('100'), await kafkajsBatch('102')]);
    const body = encodeResponse(1, v, {
      throttleTimeMs: 0, errorCode: 0, sessionId: v >= 7 ? 77 : 0,
      responses: [{
        topic: 'orders',
        partitions: [
          {
            partitionIndex: 0, errorCode: 0, highWatermark: 104n, lastStableOffset: 104n, logStartOffset: v >= 5 ? 3n : -1n,
            abortedTransactions: [{ producerId: 12n, firstOffset: 90n }], preferredReadReplica: v >= 11 ? 2 : -1, records,
          },
          { partitionIndex: 1, errorCode: 0, highWatermark: 0n, abortedTransactions: null, records: null },
        ],
      }],
    });
    const d = await kafkajsDecode('fetch', v, body);
    if (v >= 7) expect(d).toMatchObject({ errorCode: 0, sessionId: 77 });
    const responses = d.responses as Array<{ topicName: string; partitions: Obj[] }>;
    expect(responses.map((r) => r.topicName)).toEqual(['orders']);
    const [p0, p1] = responses[0].partitions;
    expect(p0).toMatchObject({
      partition: 0, errorCode: 0, highWatermark: '104', lastStableOffset: '104',
      abortedTransactions: [{ producerId: '12', firstOffset: '90' }],
      ...(v >= 5 ? { lastStartOffset: '3' } : {}), ...(v >= 11 ? { preferredReadReplica: 2 } : {}),
    });
    const messages = p0.messages as Array<{ offset: string; key: Buffer | null; value: Buffer; headers: Obj; timestamp: string }>;
    expect(messages.map((m) => [m.offset, m.key?.toString() ?? null, m.value.toString(), m.timestamp])).toEqual([
      ['100', 'k1', 'hello', '1700000000000'],
      ['101', null, 'wörld', '1700000000003'],
      ['102', 'k1', 'hello', '1700000000000'],
      ['103', null, 'wörld', '1700000000003'],
    ]);
    expect(messages[0].headers).toEqual({ h: Buffer.from('v') });
    // A null record set and a null aborted-transaction list are read as empty.
    expect(p1).toMatchObject({ partition: 1, messages: [], abortedTransactions: [] });
  });

  it.each(range(0, 2))('apiVersions v%i, with the full generated API table', async (v) => {
    const apiKeys = Object.entries(API_SCHEMAS).map(([k, s]) => ({ apiKey: Number(k), minVersion: s.request.minVersion, maxVersion: s.request.maxVersion }));
    const body = encodeResponse(18, v, { errorCode: 0, apiKeys, throttleTimeMs: 3 });
    const d = await kafkajsDecode('apiVersions', v, body);
    expect(d.errorCode).toBe(0);
    expect(d.apiVersions).toEqual(apiKeys);
    if (v >= 1) expect(d.clientSideThrottleTime ?? d.throttleTime).toBe(3);
  });

  it.each(range(1, 3))('listOffsets v%i', async (v) => {
    const body = encodeResponse(2, v, {
      throttleTimeMs: 0,
      topics: [{ name: 't', partitions: [{ partitionIndex: 3, errorCode: 0, timestamp: -1n, offset: BigInt(BIG) }, { partitionIndex: 4, errorCode: 0, timestamp: 1_700_000_000_000n, offset: 0n }] }],
    });
    const d = await kafkajsDecode('listOffsets', v, body);
    expect(d.responses).toEqual([{
      topic: 't',
      partitions: [
        { partition: 3, errorCode: 0, timestamp: '-1', offset: BIG },
        { partition: 4, errorCode: 0, timestamp: '1700000000000', offset: '0' },
      ],
    }]);
  });

  it.each(range(0, 3))('createTopics v%i', async (v) => {
    const body = encodeResponse(19, v, {
      throttleTimeMs: 0,
      topics: [{ name: 'b', errorCode: 0, errorMessage: null }, { name: 'a', errorCode: 0, errorMessage: null }],
    });
    const d = await kafkajsDecode('createTopics', v, body);
    expect(d.topicErrors).toEqual([
      { topic: 'a', errorCode: 0, ...(v >= 1 ? { errorMessage: null } : {}) },
      { topic: 'b', errorCode: 0, ...(v >= 1 ? { errorMessage: null } : {}) },
    ]);
  });

  it('createTopics errors reach kafkajs as errors', async () => {
    const body = encodeResponse(19, 2, { topics: [{ name: 'a', errorCode: 36, errorMessage: 'Topic already exists' }] });
    await expect(kafkajsDecode('createTopics', 2, body)).rejects.toThrow(/Topic creation errors/);
  });

  it.each(range(0, 2))('findCoordinator v%i', async (v) => {
    const body = encodeResponse(10, v, { errorCode: 0, errorMessage: null, nodeId: 3, host: 'broker-3', port: 9094 });
    const d = await kafkajsDecode('findCoordinator', v, body);
    expect(d.coordinator).toEqual({ nodeId: 3, host: 'broker-3', port: 9094 });
  });

  it.each(range(0, 5))('joinGroup v%i', async (v) => {
    const body = encodeResponse(11, v, {
      errorCode: 0, generationId: 4, protocolName: 'RoundRobinAssigner', leader: 'm-1', memberId: 'm-2',
      members: [{ memberId: 'm-1', groupInstanceId: v >= 5 ? 'i-1' : null, metadata: Buffer.from([1, 2]) }],
    });
    const d = await kafkajsDecode('joinGroup', v, body);
    expect(d).toMatchObject({ errorCode: 0, generationId: 4, groupProtocol: 'RoundRobinAssigner', leaderId: 'm-1', memberId: 'm-2' });
    expect(d.members).toEqual([{ memberId: 'm-1', memberMetadata: Buffer.from([1, 2]), ...(v >= 5 ? { groupInstanceId: 'i-1' } : {}) }]);
  });

  it.each(range(0, 3))('syncGroup v%i', async (v) => {
    const body = encodeResponse(14, v, { errorCode: 0, assignment: Buffer.from('assignment') });
    const d = await kafkajsDecode('syncGroup', v, body);
    expect(d.memberAssignment).toEqual(Buffer.from('assignment'));
  });

  it.each(range(1, 4))('offsetFetch v%i', async (v) => {
    const body = encodeResponse(9, v, {
      topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 42n, metadata: null, errorCode: 0 }, { partitionIndex: 1, committedOffset: -1n, metadata: 'm', errorCode: 0 }] }],
      errorCode: 0,
    });
    const d = await kafkajsDecode('offsetFetch', v, body);
    expect(d.responses).toEqual([{ topic: 't', partitions: [
      { partition: 0, offset: '42', metadata: null, errorCode: 0 },
      { partition: 1, offset: '-1', metadata: 'm', errorCode: 0 },
    ] }]);
  });

  it.each(range(0, 1))('initProducerId v%i', async (v) => {
    const body = encodeResponse(22, v, { errorCode: 0, producerId: BigInt(BIG), producerEpoch: 7 });
    const d = await kafkajsDecode('initProducerId', v, body);
    expect(d).toMatchObject({ errorCode: 0, producerId: BIG, producerEpoch: 7 });
  });

  it.each(range(0, 2))('describeGroups v%i', async (v) => {
    const body = encodeResponse(15, v, {
      groups: [{
        errorCode: 0, groupId: 'g1', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range',
        members: [{ memberId: 'm-1', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) }],
      }],
    });
    const d = await kafkajsDecode('describeGroups', v, body);
    expect(d.groups).toEqual([{
      errorCode: 0, groupId: 'g1', state: 'Stable', protocolType: 'consumer', protocol: 'range',
      members: [{ memberId: 'm-1', clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from([1]), memberAssignment: Buffer.from([2]) }],
    }]);
  });
});
