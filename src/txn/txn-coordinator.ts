/**
 * TxnCoordinator: the node's transaction coordinator service (KIP-98). It
 * follows the metadata image like the group coordinator: for every
 * __transaction_state partition this node leads it loads a
 * CoordinatorRuntime over a TxnShard (replaying the partition), and unloads
 * it when leadership moves. Requests go to the runtime of
 * partitionFor(transactionalId); NOT_COORDINATOR when that partition is
 * not led here, COORDINATOR_LOAD_IN_PROGRESS while it loads.
 *
 * Markers: when a transaction reaches PrepareCommit/PrepareAbort (EndTxn,
 * a timeout, or an InitProducerId fencing an open transaction) the client
 * is answered, and the markers are written to every partition of the
 * transaction through the TxnMarkerWriter, retrying partitions that cannot
 * take them yet; then CompleteCommit/CompleteAbort is written. After a
 * load (a restart or a coordinator move) the markers of every transaction
 * found in PrepareCommit/PrepareAbort are written again (markers are
 * idempotent for the partitions: a second one finds no open transaction),
 * so a decided transaction always completes. The coordinator epoch in the
 * markers is the partition's leader epoch.
 *
 * Waiting instead of CONCURRENT_TRANSACTIONS: while a transaction's
 * markers are written, Kafka answers requests for its id with
 * CONCURRENT_TRANSACTIONS and lets the client retry. Some clients do not
 * retry every such request (kafkajs' sendOffsets right after a commit), so
 * Krill parks InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn and EndTxn
 * for up to CONCURRENT_WAIT_MS until the transaction completes and then
 * decides them; only if it has not completed by then do they get
 * CONCURRENT_TRANSACTIONS. The outcome is what a retrying client gets from
 * Kafka, in one round trip.
 *
 * This class routes and wires; decisions are in TxnShard.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError, toErrorCode, type ErrorName } from '../api/error-codes.js';
import type { MetadataImage } from '../controller/metadata-image.js';
import { CoordinatorRuntime } from '../group/coordinator-runtime.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import { buildBatchSync } from '../protocol/records.js';
import type { TxnConfig } from './txn-config.js';
import { markerFinished, type TxnMarkerWriter } from './txn-marker-writer.js';
import { decodeTxnRecord, encodeTxnKey, encodeTxnValue, TxnState, type TopicPartition, type TxnRecord } from './txn-records.js';
import { TxnOp, TxnShard, type DescribedTxn, type InitInput, type ListFilters, type ProducerRef } from './txn-shard.js';
import { TRANSACTION_STATE_TOPIC, txnPartitionFor } from './txn-topic.js';
import { hasPartition, isPreparing } from './txn-transitions.js';

export type TxnRuntime = CoordinatorRuntime<TxnShard, TxnRecord, TxnOp>;

/** How long a request waits for a finishing transaction before CONCURRENT_TRANSACTIONS. */
export const CONCURRENT_WAIT_MS = 2000;

export interface TxnCoordinatorDeps {
  readonly nodeId: number;
  readonly config: TxnConfig;
  readonly replicas: ReplicaManager;
  readonly image: () => MetadataImage;
  /** Producer ids from the controller's blocks. */
  readonly generateProducerId: () => Promise<bigint>;
  readonly markers: TxnMarkerWriter;
  readonly log: Logger;
  readonly now?: () => number;
}

export interface InitProducerIdAnswer {
  readonly errorCode: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
}

export class TxnCoordinator {
  readonly config: TxnConfig;
  private readonly runtimes = new Map<number, TxnRuntime>();
  /** Requests parked until a transactional id's finishing transaction completes. */
  private readonly completionWaiters = new Map<string, Array<() => void>>();
  /** Per runtime, the transactional ids whose markers are being written. */
  private readonly sending = new WeakMap<TxnRuntime, Set<string>>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly deps: TxnCoordinatorDeps) {
    this.config = deps.config;
    this.now = deps.now ?? Date.now;
  }

  /** The __transaction_state partition of a transactional id (the topic's partition count once it exists). */
  partitionFor(transactionalId: string): number {
    const t = this.deps.image().topic(TRANSACTION_STATE_TOPIC);
    return txnPartitionFor(transactionalId, t && t.partitions.length > 0 ? t.partitions.length : this.config.stateLogPartitions);
  }

  /** Loads the partitions this node now leads, unloads the ones it lost; resolves when the loads are done. */
  async onImage(image: MetadataImage): Promise<void> {
    if (this.closed) return;
    const led = new Map<number, number>();
    for (const p of image.topic(TRANSACTION_STATE_TOPIC)?.partitions ?? []) if (p && p.leader === this.deps.nodeId) led.set(p.partition, p.leaderEpoch);
    const unloads: Array<Promise<void>> = [];
    for (const [partition, rt] of this.runtimes) {
      if (led.get(partition) === rt.leaderEpoch) continue;
      this.runtimes.delete(partition);
      unloads.push(rt.close(ErrorCode.NOT_COORDINATOR));
      this.deps.log.info({ partition }, 'no longer coordinator for this __transaction_state partition');
    }
    await Promise.all(unloads);
    const loads: Array<Promise<void>> = [];
    for (const [partition, epoch] of led) {
      if (this.runtimes.has(partition)) continue;
      const p = this.deps.replicas.partition(TRANSACTION_STATE_TOPIC, partition);
      if (!p) continue;
      const rt = this.newRuntime(partition, epoch);
      this.runtimes.set(partition, rt);
      loads.push(
        rt.load(p.log, p.log.logEndOffset, this.config.stateLogLoadBufferBytes).then(
          () => {
            for (const id of rt.shard.preparing()) this.sendMarkers(rt, id);
          },
          (err: unknown) => {
            this.deps.log.error({ err, partition }, 'loading a __transaction_state partition failed');
            if (this.runtimes.get(partition) === rt) this.runtimes.delete(partition);
            void rt.close(ErrorCode.COORDINATOR_NOT_AVAILABLE);
          },
        ),
      );
    }
    await Promise.all(loads);
  }

  private newRuntime(partition: number, leaderEpoch: number): TxnRuntime {
    let rt: TxnRuntime | null = null;
    const shard = new TxnShard(partition, {
      config: this.config,
      log: this.deps.log,
      markersNeeded: (id) => {
        if (rt) this.sendMarkers(rt, id);
      },
    });
    rt = new CoordinatorRuntime(partition, leaderEpoch, shard, {
      topic: TRANSACTION_STATE_TOPIC,
      newOp: (now) => new TxnOp(now),
      decode: decodeTxnRecord,
      append: (records) => this.append(partition, records),
      now: this.now,
      log: this.deps.log,
    });
    return rt;
  }

  private async append(partition: number, records: readonly TxnRecord[]): Promise<number> {
    const batch = buildBatchSync({
      records: records.map((r) => ({ key: encodeTxnKey(r.transactionalId), value: encodeTxnValue(r.metadata) })),
      defaultTimestamp: this.now(),
    });
    return (await this.deps.replicas.append(TRANSACTION_STATE_TOPIC, partition, batch, -1)).baseOffset;
  }

  /** The runtime owning a transactional id, or NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE. */
  runtimeFor(transactionalId: string): TxnRuntime {
    if (this.closed) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
    const rt = this.runtimes.get(this.partitionFor(transactionalId));
    if (!rt) throw new KafkaError('NOT_COORDINATOR');
    if (rt.isLoading) throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS');
    return rt;
  }

  // ------------------------------------------------------------ client requests

  /** InitProducerId with a transactional id (validated by the handler). */
  async initProducerId(input: Omit<InitInput, 'freshProducerId'>): Promise<InitProducerIdAnswer> {
    const failed = (errorCode: number): InitProducerIdAnswer => ({ errorCode, producerId: -1n, producerEpoch: -1 });
    let fresh: bigint | null = null;
    let waited = false;
    try {
      for (;;) {
        const freshProducerId = fresh;
        const res = await this.runtimeFor(input.transactionalId).run((shard, op) => shard.initProducerId(op, { ...input, freshProducerId }));
        if (res.kind === 'ok') return { errorCode: ErrorCode.NONE, producerId: res.producerId, producerEpoch: res.producerEpoch };
        if (res.kind === 'error') {
          // An open transaction was just aborted (or one is finishing): wait for it, then decide again.
          if (res.error === 'CONCURRENT_TRANSACTIONS' && !waited && (await this.waitForCompletion(input.transactionalId))) {
            waited = true;
            continue;
          }
          return failed(ErrorCode[res.error]);
        }
        if (fresh !== null) return failed(ErrorCode.CONCURRENT_TRANSACTIONS);
        fresh = await this.deps.generateProducerId();
      }
    } catch (err) {
      return failed(toErrorCode(err));
    }
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: one error code for the whole set. */
  async addPartitions(ref: ProducerRef, partitions: readonly TopicPartition[]): Promise<number> {
    return this.decide(ref.transactionalId, (shard, op) => shard.addPartitions(op, ref, partitions));
  }

  /** verify_only: an error for the transaction, or one per partition. */
  verifyPartitions(ref: ProducerRef, partitions: readonly TopicPartition[], missing: ErrorName): number | number[] {
    try {
      const res = this.runtimeFor(ref.transactionalId).read((shard) => shard.verifyPartitions(ref, partitions, missing));
      if (typeof res === 'string') return ErrorCode[res];
      return res.map((e) => (e === null ? ErrorCode.NONE : ErrorCode[e]));
    } catch (err) {
      return toErrorCode(err);
    }
  }

  /** EndTxn: answered once PrepareCommit/PrepareAbort is durable; markers follow. */
  async endTxn(ref: ProducerRef, commit: boolean): Promise<number> {
    return this.decide(ref.transactionalId, (shard, op) => shard.endTxn(op, ref, commit));
  }

  /** Runs a decision; CONCURRENT_TRANSACTIONS waits (once) for the finishing transaction and decides again. */
  private async decide(transactionalId: string, fn: (shard: TxnShard, op: TxnOp) => ErrorName | null): Promise<number> {
    try {
      for (let attempt = 0; ; attempt++) {
        const error = await this.runtimeFor(transactionalId).run(fn);
        if (error === 'CONCURRENT_TRANSACTIONS' && attempt === 0 && (await this.waitForCompletion(transactionalId))) continue;
        return error === null ? ErrorCode.NONE : ErrorCode[error];
      }
    } catch (err) {
      return toErrorCode(err);
    }
  }

  /** Resolves true once the id's finishing transaction completed, false after CONCURRENT_WAIT_MS (or if none is finishing). */
  private waitForCompletion(transactionalId: string): Promise<boolean> {
    let preparing: boolean;
    try {
      preparing = this.runtimeFor(transactionalId).read((shard) => {
        const m = shard.txns.get(transactionalId);
        return m !== undefined && isPreparing(m);
      });
    } catch {
      return Promise.resolve(false);
    }
    if (!preparing) return Promise.resolve(false);
    return new Promise((resolve) => {
      const list = this.completionWaiters.get(transactionalId) ?? [];
      this.completionWaiters.set(transactionalId, list);
      const done = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        resolve(false);
      }, CONCURRENT_WAIT_MS);
      list.push(done);
    });
  }

  private completed(transactionalId: string): void {
    const list = this.completionWaiters.get(transactionalId);
    this.completionWaiters.delete(transactionalId);
    for (const wake of list ?? []) wake();
  }

  /**
   * The produce-side check (KIP-890) for a transactional batch opening a
   * transaction on a partition: its producer's transaction must hold the
   * partition. null when it does, or when this node does not coordinate
   * that producer (nothing to check against here). Errors are the ones
   * Kafka's produce path answers after verification.
   */
  verifyForProduce(producerId: bigint, producerEpoch: number, topic: string, partition: number): ErrorName | null {
    if (!this.config.partitionVerification) return null;
    for (const rt of this.runtimes.values()) {
      if (!rt.isActive) continue;
      const m = rt.shard.byProducer(producerId);
      if (!m) continue;
      if (m.producerEpoch !== producerEpoch) return 'INVALID_PRODUCER_EPOCH';
      if (isPreparing(m)) return 'NOT_ENOUGH_REPLICAS';
      return hasPartition(m, topic, partition) ? null : 'INVALID_TXN_STATE';
    }
    return null;
  }

  // ------------------------------------------------------------ admin

  /** DescribeTransactions for one id: an error code, or its state. */
  describe(transactionalId: string): { errorCode: number; txn: DescribedTxn | null } {
    try {
      const txn = this.runtimeFor(transactionalId).read((shard) => shard.describe(transactionalId));
      return { errorCode: txn ? ErrorCode.NONE : ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, txn };
    } catch (err) {
      return { errorCode: toErrorCode(err), txn: null };
    }
  }

  /** ListTransactions over every partition coordinated here; COORDINATOR_LOAD_IN_PROGRESS while one loads. */
  list(filters: ListFilters): { errorCode: number; unknownStateFilters: string[]; states: Array<{ transactionalId: string; producerId: bigint; state: string }> } {
    if (this.closed) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], states: [] };
    if ([...this.runtimes.values()].some((rt) => rt.isLoading)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], states: [] };
    const unknown = new Set<string>();
    const states = [];
    const now = this.now();
    for (const rt of this.runtimes.values()) if (rt.isActive) states.push(...rt.shard.list(filters, now, unknown));
    return { errorCode: ErrorCode.NONE, unknownStateFilters: [...unknown], states };
  }

  // ------------------------------------------------------------ markers

  /** Writes the markers of a finishing transaction, then completes it (one writer per transaction and runtime). */
  private sendMarkers(rt: TxnRuntime, transactionalId: string): void {
    let ids = this.sending.get(rt);
    if (!ids) this.sending.set(rt, (ids = new Set()));
    if (ids.has(transactionalId)) return;
    ids.add(transactionalId);
    const done = ids;
    this.writeMarkers(rt, transactionalId).then(
      () => done.delete(transactionalId),
      (err: unknown) => {
        done.delete(transactionalId);
        if (!rt.isActive || this.closed) return;
        this.deps.log.warn({ err, transactionalId }, 'completing a transaction failed; retrying');
        setTimeout(() => this.sendMarkers(rt, transactionalId), this.config.markerRetryBackoffMs).unref();
      },
    );
  }

  private async writeMarkers(rt: TxnRuntime, transactionalId: string): Promise<void> {
    const m = rt.shard.txns.get(transactionalId);
    if (!m || !isPreparing(m)) return;
    const commit = m.state === TxnState.PrepareCommit;
    const marker = { producerId: m.producerId, producerEpoch: m.producerEpoch, coordinatorEpoch: rt.leaderEpoch, commit };
    let remaining = m.partitions;
    while (remaining.length > 0) {
      if (!rt.isActive || this.closed) return;
      const codes = await this.deps.markers.write({ ...marker, partitions: remaining });
      const retry: TopicPartition[] = [];
      remaining.forEach((tp, i) => {
        const code = codes[i] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (markerFinished(code)) {
          if (code !== ErrorCode.NONE) this.deps.log.warn({ transactionalId, topic: tp.topic, partition: tp.partition, errorCode: code }, 'transaction marker not written');
          rt.shard.markerWritten(transactionalId, tp.topic, tp.partition);
        } else retry.push(tp);
      });
      remaining = retry;
      if (remaining.length > 0) await new Promise((resolve) => setTimeout(resolve, this.config.markerRetryBackoffMs));
    }
    if (!rt.isActive || this.closed) return;
    await rt.run((shard, op) => shard.completeTxn(op, transactionalId, marker.producerId, marker.producerEpoch));
    this.completed(transactionalId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.completionWaiters.keys()]) this.completed(id);
    const all = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.all(all.map((rt) => rt.close(ErrorCode.COORDINATOR_NOT_AVAILABLE)));
  }
}
