/**
 * A transactional producer as a client drives one, for the transaction
 * checks (KIP-98): find the transaction coordinator (FindCoordinator key
 * type 1, v1+), InitProducerId with a transactional id, AddPartitionsToTxn
 * in its client form (v0-3) or batched form (v4+, KIP-890), transactional
 * Produce with per-partition sequences and the transactional id in the
 * request (Kafka refuses transactional batches without it), EndTxn; and the
 * reading side: the last stable offset, control batches, transaction states.
 *
 * Answers a client must retry are retried up to a deadline, as Kafka's
 * producer does: COORDINATOR_NOT_AVAILABLE (Kafka creates
 * __transaction_state on the first lookup), COORDINATOR_LOAD_IN_PROGRESS,
 * NOT_COORDINATOR, and CONCURRENT_TRANSACTIONS (the previous transaction is
 * still writing its markers, or a re-init is aborting an open one).
 */
import { ErrorCode } from '../../api/error-codes.js';
import { decodeEndTxnMarker } from '../../protocol/control-records.js';
import { Attr } from '../../protocol/record-batch.js';
import { buildBatchSync, decodeBatchSync, type RecordInput } from '../../protocol/records.js';
import type { KafkaConnection, Res } from '../connection.js';
import { codeName, expectEqual, expectNoError, fail, find } from '../assert.js';
import { Api, fetchPartition, splitBatches, topicRef, type ProducePartition } from '../ops.js';
import { sleep, type CheckContext, type TopicInfo } from '../suite.js';
import type { CoordinatorAnswer } from './group-flow.js';

export const TXN_TIMEOUT_MS = 60_000;
const RETRY_DEADLINE_MS = 20_000;
const RETRY_PAUSE_MS = 100;
const COORDINATOR_RETRIABLE = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);
const TXN_RETRIABLE = new Set<number>([...COORDINATOR_RETRIABLE, ErrorCode.CONCURRENT_TRANSACTIONS]);

/** The transaction APIs every transactional check needs. */
export const TXN_BASE = [Api.FindCoordinator, Api.InitProducerId] as const;

export interface TxnProducer {
  readonly transactionalId: string;
  /** Connection to the transaction coordinator, and its host:port. */
  coordinator: KafkaConnection;
  readonly coordinatorAddress: string;
  producerId: bigint;
  producerEpoch: number;
  readonly timeoutMs: number;
  /** Next sequence by `topic/partition`; cleared when the epoch changes. */
  readonly sequences: Map<string, number>;
}

export type TxnRef = Pick<TxnProducer, 'transactionalId' | 'producerId' | 'producerEpoch'>;
export type TopicPartitions = ReadonlyArray<{ name: string; partitions: number[] }>;

export const tp = (topic: string, partition: number): string => `${topic}/${partition}`;

/** Repeats send while code(answer) is retriable, up to the deadline; returns the last answer. */
async function retrying<T>(send: () => Promise<T>, code: (t: T) => number | undefined, retriable: ReadonlySet<number>): Promise<T> {
  const deadline = Date.now() + RETRY_DEADLINE_MS;
  for (;;) {
    const res = await send();
    const c = code(res);
    if (c === undefined || !retriable.has(c) || Date.now() > deadline) return res;
    await sleep(RETRY_PAUSE_MS);
  }
}

/** FindCoordinator for a transactional id at version v (1+; v4+ batches keys, KIP-699). */
export async function findTxnCoordinator(c: KafkaConnection, v: number, transactionalId: string): Promise<CoordinatorAnswer> {
  const res = await c.request(Api.FindCoordinator, v, v < 4 ? { key: transactionalId, keyType: 1 } : { keyType: 1, coordinatorKeys: [transactionalId] });
  if (v < 4) return { errorCode: res.errorCode, nodeId: res.nodeId, host: res.host, port: res.port };
  const k = find(res.coordinators, (x) => x.key === transactionalId, `coordinator for ${transactionalId}`);
  return { errorCode: k.errorCode, nodeId: k.nodeId, host: k.host, port: k.port };
}

/** The transaction coordinator's answer, retried while there is none yet. */
export async function locateTxnCoordinator(ctx: CheckContext, transactionalId: string, v = ctx.suite.versionIn(Api.FindCoordinator, 1)): Promise<CoordinatorAnswer> {
  const c = await ctx.conn();
  return retrying(() => findTxnCoordinator(c, v, transactionalId), (a) => a.errorCode, COORDINATOR_RETRIABLE);
}

async function txnCoordinatorAddress(ctx: CheckContext, transactionalId: string): Promise<string> {
  const a = await locateTxnCoordinator(ctx, transactionalId);
  expectNoError(a.errorCode, `FindCoordinator (transaction) errorCode for ${transactionalId}`);
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export async function txnCoordinatorConnection(ctx: CheckContext, transactionalId: string): Promise<KafkaConnection> {
  return ctx.connectTo(await txnCoordinatorAddress(ctx, transactionalId));
}

export interface InitOptions {
  timeoutMs?: number;
  /** KIP-360 (v3+): the producer id and epoch the client had. */
  producerId?: bigint;
  producerEpoch?: number;
}

/** One InitProducerId request with a transactional id. */
export function initProducerIdTxn(c: KafkaConnection, v: number, transactionalId: string, o: InitOptions = {}): Promise<Res<22>> {
  const resume = v >= 3 ? { producerId: o.producerId ?? -1n, producerEpoch: o.producerEpoch ?? -1 } : {};
  return c.request(Api.InitProducerId, v, { transactionalId, transactionTimeoutMs: o.timeoutMs ?? TXN_TIMEOUT_MS, ...resume });
}

/** InitProducerId as a client sends it: retried while the coordinator is busy; must succeed. */
export async function initTxnRetrying(c: KafkaConnection, v: number, transactionalId: string, o: InitOptions = {}): Promise<Res<22>> {
  const res = await retrying(() => initProducerIdTxn(c, v, transactionalId, o), (r) => r.errorCode, TXN_RETRIABLE);
  expectNoError(res.errorCode, `InitProducerId v${v} errorCode for ${transactionalId}`);
  return res;
}

/** A transactional producer, initialised at the highest InitProducerId version (or v). */
export async function initTxn(ctx: CheckContext, transactionalId: string, o: { version?: number; timeoutMs?: number } = {}): Promise<TxnProducer> {
  const coordinatorAddress = await txnCoordinatorAddress(ctx, transactionalId);
  const coordinator = await ctx.connectTo(coordinatorAddress);
  const timeoutMs = o.timeoutMs ?? TXN_TIMEOUT_MS;
  const res = await initTxnRetrying(coordinator, o.version ?? ctx.suite.maxVersion(Api.InitProducerId), transactionalId, { timeoutMs });
  return { transactionalId, coordinator, coordinatorAddress, producerId: res.producerId, producerEpoch: res.producerEpoch, timeoutMs, sequences: new Map() };
}

/** Initialises the producer again (a new instance taking over): the epoch is bumped, an open transaction aborted. */
export async function reinit(ctx: CheckContext, p: TxnProducer): Promise<void> {
  const res = await initTxnRetrying(p.coordinator, ctx.suite.maxVersion(Api.InitProducerId), p.transactionalId, { timeoutMs: p.timeoutMs });
  p.producerId = res.producerId;
  p.producerEpoch = res.producerEpoch;
  p.sequences.clear();
}

export interface AddAnswer {
  /** Top-level error (v4+; NONE before). */
  errorCode: number;
  /** Error by `topic/partition`. */
  codes: Map<string, number>;
}

/** One AddPartitionsToTxn request: the client form below v4, one transaction of the batched form from v4. */
export async function addPartitionsRaw(c: KafkaConnection, v: number, t: TxnRef, topics: TopicPartitions, verifyOnly = false): Promise<AddAnswer> {
  const answers = await addPartitionsBatch(c, v, [{ ...t, topics, verifyOnly }]);
  return { errorCode: answers.errorCode, codes: answers.byTxn.get(t.transactionalId) ?? new Map() };
}

export interface BatchedAdd extends TxnRef {
  topics: TopicPartitions;
  verifyOnly: boolean;
}

/** AddPartitionsToTxn with several transactions (v4+; below v4 exactly one, without verify_only). */
export async function addPartitionsBatch(c: KafkaConnection, v: number, txns: readonly BatchedAdd[]): Promise<{ errorCode: number; byTxn: Map<string, Map<string, number>> }> {
  const codes = (results: ReadonlyArray<{ name: string; resultsByPartition: ReadonlyArray<{ partitionIndex: number; partitionErrorCode: number }> }>) =>
    new Map(results.flatMap((t) => t.resultsByPartition.map((p): [string, number] => [tp(t.name, p.partitionIndex), p.partitionErrorCode])));
  const topicsOf = (t: BatchedAdd) => t.topics.map((x) => ({ name: x.name, partitions: x.partitions }));
  if (v < 4) {
    const t = txns[0]!;
    if (txns.length !== 1 || t.verifyOnly) throw new Error('AddPartitionsToTxn below v4 carries one transaction and no verify_only');
    const res = await c.request(Api.AddPartitionsToTxn, v, {
      v3AndBelowTransactionalId: t.transactionalId,
      v3AndBelowProducerId: t.producerId,
      v3AndBelowProducerEpoch: t.producerEpoch,
      v3AndBelowTopics: topicsOf(t),
    });
    return { errorCode: ErrorCode.NONE, byTxn: new Map([[t.transactionalId, codes(res.resultsByTopicV3AndBelow)]]) };
  }
  const res = await c.request(Api.AddPartitionsToTxn, v, {
    transactions: txns.map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, verifyOnly: t.verifyOnly, topics: topicsOf(t) })),
  });
  return { errorCode: res.errorCode, byTxn: new Map(res.resultsByTransaction.map((r) => [r.transactionalId, codes(r.topicResults)])) };
}

/** The single error of an answer where every partition must agree (undefined when they differ). */
export function soleCode(a: AddAnswer): number | undefined {
  const all = new Set(a.codes.values());
  return a.errorCode !== ErrorCode.NONE ? a.errorCode : all.size === 1 ? [...all][0] : undefined;
}

/** Adds partitions to the producer's transaction in the client form (retrying as a client does); must succeed. */
export async function addPartitions(ctx: CheckContext, p: TxnProducer, topics: TopicPartitions, v = ctx.suite.versionIn(Api.AddPartitionsToTxn, 0, 3)): Promise<void> {
  const a = await retrying(() => addPartitionsRaw(p.coordinator, v, p, topics), soleCode, TXN_RETRIABLE);
  for (const [key, code] of a.codes) expectNoError(code, `AddPartitionsToTxn v${v} errorCode for ${key}`);
}

/** A transactional batch at the producer's next sequence for the partition (the sequence is not advanced). */
export function txnBatch(p: TxnRef & { sequences: Map<string, number> }, topic: string, partition: number, records: readonly RecordInput[]): Buffer {
  return buildBatchSync({
    defaultTimestamp: Date.now(),
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    baseSequence: p.sequences.get(tp(topic, partition)) ?? 0,
    transactional: true,
    records,
  });
}

/** One Produce request carrying the transactional id, as transactional producers send it. */
export async function produceTxnRaw(c: KafkaConnection, v: number, transactionalId: string, topic: string, partition: number, records: Buffer): Promise<ProducePartition> {
  const res = await c.request(Api.Produce, v, {
    transactionalId,
    acks: -1,
    timeoutMs: 10_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const t = find(res.responses, (r) => r.name === topic, `topic ${topic}`);
  return find(t.partitionResponses, (x) => x.index === partition, `partition ${partition}`);
}

/** Produces records in the producer's transaction (the partition must have been added); returns the base offset. */
export async function produceTxn(ctx: CheckContext, p: TxnProducer, topic: TopicInfo, partition: number, records: readonly RecordInput[]): Promise<bigint> {
  const c = await ctx.leader(topic, partition);
  const r = await produceTxnRaw(c, ctx.suite.versionIn(Api.Produce, 3), p.transactionalId, topic.name, partition, txnBatch(p, topic.name, partition, records));
  expectNoError(r.errorCode, `transactional Produce errorCode on ${tp(topic.name, partition)}`);
  const key = tp(topic.name, partition);
  p.sequences.set(key, (p.sequences.get(key) ?? 0) + records.length);
  return r.baseOffset;
}

export function endTxnRaw(c: KafkaConnection, v: number, t: TxnRef, commit: boolean): Promise<Res<26>> {
  return c.request(Api.EndTxn, v, { transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, committed: commit });
}

/**
 * Commits or aborts (retrying as a client does); must succeed. From v5
 * (KIP-890 part 2) the coordinator bumps the epoch and answers the new one,
 * which the producer then uses (its markers carry it too).
 */
export async function endTxn(ctx: CheckContext, p: TxnProducer, commit: boolean, v = ctx.suite.maxVersion(Api.EndTxn)): Promise<void> {
  const res = await retrying(() => endTxnRaw(p.coordinator, v, p, commit), (r) => r.errorCode, TXN_RETRIABLE);
  expectNoError(res.errorCode, `EndTxn v${v} (${commit ? 'commit' : 'abort'}) errorCode`);
  if (v >= 5 && res.producerEpoch >= 0 && res.producerEpoch !== p.producerEpoch) {
    p.producerId = res.producerId;
    p.producerEpoch = res.producerEpoch;
    p.sequences.clear();
  }
}

/** Aborts whatever the producer left open (cleanup after a check; errors do not matter). */
export async function abortQuietly(ctx: CheckContext, p: TxnProducer | undefined): Promise<void> {
  if (!p || !ctx.suite.has(Api.EndTxn)) return;
  try {
    await endTxnRaw(p.coordinator, ctx.suite.maxVersion(Api.EndTxn), p, false);
  } catch {
    // the transaction times out anyway
  }
}

export type TxnState = Res<65>['transactionStates'][number];

export async function describeTxn(c: KafkaConnection, v: number, transactionalId: string): Promise<TxnState> {
  const res = await c.request(Api.DescribeTransactions, v, { transactionalIds: [transactionalId] });
  return find(res.transactionStates, (s) => s.transactionalId === transactionalId, `transaction ${transactionalId}`);
}

/** Waits (10 s) until DescribeTransactions shows one of the states. */
export async function waitTxnState(ctx: CheckContext, p: TxnProducer, states: readonly string[]): Promise<TxnState> {
  const v = ctx.suite.maxVersion(Api.DescribeTransactions);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await describeTxn(p.coordinator, v, p.transactionalId);
    if (s.errorCode === ErrorCode.NONE && states.includes(s.transactionState)) return s;
    if (Date.now() > deadline) fail(`${p.transactionalId} is ${s.transactionState || codeName(s.errorCode)}, not ${states.join(' or ')}, 10 s later`);
    await sleep(RETRY_PAUSE_MS);
  }
}

/** Last stable offset through ListOffsets (isolation read_committed, v2+). */
export async function lastStable(ctx: CheckContext, topic: TopicInfo, partition: number): Promise<bigint> {
  const c = await ctx.leader(topic, partition);
  const res = await c.request(Api.ListOffsets, ctx.suite.versionIn(Api.ListOffsets, 2), {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{ name: topic.name, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] }],
    timeoutMs: 10_000,
  });
  const p = find(find(res.topics, (t) => t.name === topic.name, `topic ${topic.name}`).partitions, (x) => x.partitionIndex === partition, `partition ${partition}`);
  expectNoError(p.errorCode, 'ListOffsets (read_committed) errorCode');
  return p.offset;
}

export interface ControlBatch {
  baseOffset: bigint;
  producerId: bigint;
  producerEpoch: number;
  transactional: boolean;
  /** ControlRecordType: 0 abort, 1 commit. */
  type: number;
  coordinatorEpoch: number;
}

/** The control record of a control batch (null for a data batch). */
export function controlOf(batch: Buffer): ControlBatch | null {
  const b = decodeBatchSync(batch);
  if ((b.header.attributes & Attr.Control) === 0) return null;
  const r = b.records[0];
  if (!r?.control || b.records.length !== 1) fail(`control batch at ${b.header.baseOffset} holds ${b.records.length} records, expected one control record`);
  return {
    baseOffset: b.header.baseOffset,
    producerId: b.header.producerId,
    producerEpoch: b.header.producerEpoch,
    transactional: (b.header.attributes & Attr.Transactional) !== 0,
    type: r.control.type,
    coordinatorEpoch: decodeEndTxnMarker(r.value).coordinatorEpoch,
  };
}

export const ABORT = 0;
export const COMMIT = 1;

/**
 * The transaction marker (read_uncommitted) of producerId at or after
 * offset `from`, waited for (10 s): Kafka writes markers after EndTxn answers.
 */
export async function waitMarker(ctx: CheckContext, topic: TopicInfo, partition: number, from: bigint, producerId: bigint): Promise<ControlBatch> {
  const c = await ctx.leader(topic, partition);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const p = await fetchPartition(c, ctx.suite.maxVersion(Api.Fetch), topicRef(topic), partition, from);
    expectNoError(p.errorCode, `Fetch errorCode on ${tp(topic.name, partition)}`);
    for (const b of splitBatches(p.records)) {
      const m = controlOf(b);
      if (m && m.producerId === producerId) return m;
    }
    if (Date.now() > deadline) fail(`no transaction marker for producer ${producerId} on ${tp(topic.name, partition)} after offset ${from} 10 s after EndTxn`);
    await sleep(RETRY_PAUSE_MS);
  }
}

/**
 * Expects a transaction marker: a transactional control batch of the
 * producer, of the given type, with an epoch in [minEpoch, maxEpoch].
 */
export function expectMarker(m: ControlBatch, producerId: bigint, type: number, minEpoch: number, maxEpoch: number, what: string): void {
  if (!m.transactional) fail(`${what}: the control batch is not marked transactional`);
  expectEqual(m.producerId, producerId, `${what}: producer id`);
  expectEqual(m.type, type, `${what}: control record type (0 abort, 1 commit)`);
  if (m.producerEpoch < minEpoch || m.producerEpoch > maxEpoch) {
    fail(`${what}: marker epoch ${m.producerEpoch}, expected ${minEpoch === maxEpoch ? minEpoch : `${minEpoch}-${maxEpoch}`}`);
  }
}

/** A transactional (or group) id of this run for a check at version v (tagged runs get their own). */
export function txnId(ctx: CheckContext, label: string, v?: number): string {
  return ctx.suite.topicName(`${label}${v === undefined ? '' : `-v${v}`}${ctx.injectTags ? '-t' : ''}`);
}

/** What a stale epoch is answered with: PRODUCER_FENCED from `from` (KIP-588), INVALID_PRODUCER_EPOCH before. */
export function fencedCode(v: number, from: number): number {
  return v >= from ? ErrorCode.PRODUCER_FENCED : ErrorCode.INVALID_PRODUCER_EPOCH;
}

/** The shared two-partition topic of the transaction checks that do not look at the last stable offset. */
export const txnTopic = (ctx: CheckContext): Promise<TopicInfo> => ctx.suite.fixture('txn', { partitions: 2 });

/** Simple records with values tagged for the check. */
export const txnRecords = (tag: string, n: number): RecordInput[] => Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-value-${i}` }));

export function addOffsetsRaw(c: KafkaConnection, v: number, t: TxnRef, groupId: string): Promise<Res<25>> {
  return c.request(Api.AddOffsetsToTxn, v, { transactionalId: t.transactionalId, producerId: t.producerId, producerEpoch: t.producerEpoch, groupId });
}

/** Adds the group's offsets partition to the transaction (retrying as a client does); must succeed. */
export async function addOffsets(ctx: CheckContext, p: TxnProducer, groupId: string, v = ctx.suite.maxVersion(Api.AddOffsetsToTxn)): Promise<void> {
  const res = await retrying(() => addOffsetsRaw(p.coordinator, v, p, groupId), (r) => r.errorCode, TXN_RETRIABLE);
  expectNoError(res.errorCode, `AddOffsetsToTxn v${v} errorCode`);
}

/**
 * TxnOffsetCommit to the group coordinator c, without a member (generation
 * -1, as a producer outside the group sends it); retried while the group
 * coordinator loads or still applies the previous transaction. Returns
 * each partition's error code.
 */
export async function txnOffsetCommit(
  c: KafkaConnection,
  v: number,
  t: TxnRef,
  groupId: string,
  topic: string,
  offsets: ReadonlyMap<number, bigint>,
  metadata: string | null,
): Promise<Map<number, number>> {
  const member = v >= 3 ? { generationId: -1, memberId: '', groupInstanceId: null } : {};
  const send = () =>
    c.request(Api.TxnOffsetCommit, v, {
      transactionalId: t.transactionalId,
      groupId,
      producerId: t.producerId,
      producerEpoch: t.producerEpoch,
      ...member,
      topics: [
        {
          name: topic,
          partitions: [...offsets].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, committedMetadata: metadata })),
        },
      ],
    });
  const res = await retrying(send, (r) => r.topics[0]?.partitions[0]?.errorCode, TXN_RETRIABLE);
  const tr = find(res.topics, (x) => x.name === topic, `topic ${topic}`);
  return new Map(tr.partitions.map((p) => [p.partitionIndex, p.errorCode]));
}

/** Ids that one coordinator serves: `count` transactional ids starting from label, probing suffixes. */
export async function idsOnOneCoordinator(ctx: CheckContext, label: string, count: number): Promise<string[]> {
  const first = txnId(ctx, `${label}-0`);
  const node = (await locateTxnCoordinator(ctx, first)).nodeId;
  const out = [first];
  for (let i = 1; out.length < count && i < 200; i++) {
    const id = txnId(ctx, `${label}-${i}`);
    if ((await locateTxnCoordinator(ctx, id)).nodeId === node) out.push(id);
  }
  if (out.length < count) fail(`no ${count} transactional ids share a coordinator among 200 tried`);
  return out;
}
