/**
 * GroupCoordinator: the node's group coordinator service. It follows the
 * metadata image: for every __consumer_offsets partition this node leads
 * it loads a CoordinatorRuntime (replaying the partition), and it unloads
 * the runtime when leadership moves away, so a coordinator move needs
 * nothing else. Requests are routed to the runtime of
 * partitionFor(groupId); a group whose partition is not led here gets
 * NOT_COORDINATOR, one whose partition is still loading
 * COORDINATOR_LOAD_IN_PROGRESS.
 *
 * Transactions: TxnOffsetCommit writes go through the shard as the
 * producer's transactional batch (the partition's producer state checks
 * its epoch), and the transaction coordinator's commit/abort markers for a
 * __consumer_offsets partition come in through completeTransaction, which
 * writes the marker on the shard's queue and replays it.
 *
 * This class only routes and wires; decisions are in GroupShard.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError, toErrorCode } from '../api/error-codes.js';
import type { MetadataImage } from '../controller/metadata-image.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import { buildBatchSync } from '../protocol/records.js';
import { CoordinatorRuntime, type TxnProducer } from './coordinator-runtime.js';
import type { GroupConfig } from './group-config.js';
import { decodeGroupRecord, encodeRecordKey, encodeRecordValue, OFFSETS_TOPIC, type GroupRecord } from './group-records.js';
import { GroupShard } from './group-shard.js';
import { GroupOp, type ShardEnv } from './group-op.js';
import type { TxnMarkerWrite } from '../replication/replica-manager.js';

export type GroupRuntime = CoordinatorRuntime<GroupShard, GroupRecord, GroupOp>;
import { partitionFor } from './partition-for.js';

export interface GroupCoordinatorDeps {
  readonly nodeId: number;
  readonly config: GroupConfig;
  readonly replicas: ReplicaManager;
  readonly image: () => MetadataImage;
  readonly log: Logger;
  readonly now?: () => number;
}

export class GroupCoordinator {
  readonly config: GroupConfig;
  private readonly runtimes = new Map<number, GroupRuntime>();
  private readonly env: ShardEnv;
  private readonly now: () => number;
  private retentionTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly deps: GroupCoordinatorDeps) {
    this.config = deps.config;
    this.now = deps.now ?? Date.now;
    this.env = { config: deps.config, newMemberId: (prefix) => `${prefix}-${randomUUID()}`, log: deps.log };
    this.retentionTimer = setInterval(() => this.expireOffsets(), deps.config.offsetsRetentionCheckIntervalMs);
    this.retentionTimer.unref();
  }

  /** The __consumer_offsets partition of a group: the partition count of the topic once it exists. */
  partitionFor(groupId: string): number {
    const t = this.deps.image().topic(OFFSETS_TOPIC);
    return partitionFor(groupId, t && t.partitions.length > 0 ? t.partitions.length : this.config.offsetsTopicPartitions);
  }

  /**
   * Loads the partitions this node now leads and unloads the ones it lost
   * (or whose leader epoch changed). Resolves when the loads are done.
   */
  async onImage(image: MetadataImage): Promise<void> {
    if (this.closed) return;
    const topic = image.topic(OFFSETS_TOPIC);
    const led = new Map<number, number>();
    for (const p of topic?.partitions ?? []) if (p && p.leader === this.deps.nodeId) led.set(p.partition, p.leaderEpoch);
    const unloads: Array<Promise<void>> = [];
    for (const [partition, rt] of this.runtimes) {
      if (led.get(partition) !== rt.leaderEpoch) {
        this.runtimes.delete(partition);
        unloads.push(rt.close(ErrorCode.NOT_COORDINATOR));
        this.deps.log.info({ partition }, 'no longer coordinator for this __consumer_offsets partition');
      }
    }
    await Promise.all(unloads);
    const loads: Array<Promise<void>> = [];
    for (const [partition, epoch] of led) {
      if (this.runtimes.has(partition)) continue;
      const p = this.deps.replicas.partition(OFFSETS_TOPIC, partition);
      if (!p) continue;
      const rt: GroupRuntime = new CoordinatorRuntime(partition, epoch, new GroupShard(partition, this.env), {
        topic: OFFSETS_TOPIC,
        newOp: (now) => new GroupOp(now),
        decode: decodeGroupRecord,
        append: (records, now, producer) => this.append(partition, records, now, producer),
        now: this.now,
        log: this.deps.log,
      });
      this.runtimes.set(partition, rt);
      loads.push(
        rt.load(p.log, p.log.logEndOffset, this.config.offsetsLoadBufferBytes).catch((err: unknown) => {
          this.deps.log.error({ err, partition }, 'loading a __consumer_offsets partition failed');
          if (this.runtimes.get(partition) === rt) this.runtimes.delete(partition);
          void rt.close(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }),
      );
    }
    await Promise.all(loads);
  }

  private async append(partition: number, records: readonly GroupRecord[], now: number, producer: TxnProducer | null): Promise<number> {
    const batch = buildBatchSync({
      records: records.map((r) => ({ key: encodeRecordKey(r), value: encodeRecordValue(r) })),
      defaultTimestamp: now,
      ...(producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, transactional: true } : {}),
    });
    const res = await this.deps.replicas.append(OFFSETS_TOPIC, partition, batch, -1, producer ? 'coordinator' : 'client');
    return res.baseOffset;
  }

  /**
   * Writes a transaction's commit or abort marker to a __consumer_offsets
   * partition led here and applies it to the shard's pending offsets
   * (Kafka's completeTransaction). NOT_COORDINATOR when the partition is
   * not loaded here.
   */
  async completeTransaction(partition: number, marker: TxnMarkerWrite): Promise<void> {
    if (this.closed) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
    const rt = this.runtimes.get(partition);
    if (!rt) throw new KafkaError('NOT_COORDINATOR');
    await rt.writeEndMarker(marker.producerId, marker.commit, () => this.deps.replicas.appendTxnMarker(OFFSETS_TOPIC, partition, marker));
  }

  /** The runtime owning a group, or NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE. */
  runtimeFor(groupId: string): GroupRuntime {
    if (this.closed) throw new KafkaError('COORDINATOR_NOT_AVAILABLE');
    const rt = this.runtimes.get(this.partitionFor(groupId));
    if (!rt) throw new KafkaError('NOT_COORDINATOR');
    if (rt.isLoading) throw new KafkaError('COORDINATOR_LOAD_IN_PROGRESS');
    return rt;
  }

  /** Whether this node coordinates the group (its partition is led and loaded here). */
  isCoordinatorFor(groupId: string): boolean {
    return this.runtimes.get(this.partitionFor(groupId))?.isActive ?? false;
  }

  /** Runs a write on the group's shard (see CoordinatorRuntime.run). */
  async write<T>(groupId: string, fn: (shard: GroupShard, op: GroupOp) => T, forOffsetCommit = false): Promise<T> {
    return this.runtimeFor(groupId).run(fn, forOffsetCommit);
  }

  /**
   * Runs a write whose answer comes through a reply callback (JoinGroup,
   * SyncGroup: the reply may come from a later operation). Resolves with
   * the reply, or with onError(code) when the operation failed first.
   */
  parked<R>(groupId: string, fn: (shard: GroupShard, op: GroupOp, reply: (r: R) => void) => void, onError: (errorCode: number) => R): Promise<R> {
    return new Promise<R>((resolve) => {
      let rt: GroupRuntime;
      try {
        rt = this.runtimeFor(groupId);
      } catch (err) {
        resolve(onError((err as KafkaError).errorCode));
        return;
      }
      const reply = rt.reply(resolve);
      rt.run((shard, op) => fn(shard, op, reply)).catch((err: unknown) => resolve(onError(toErrorCode(err))));
    });
  }

  /** Reads the group's shard (durable state only changes in replay, so reads need no queue). */
  read<T>(groupId: string, fn: (shard: GroupShard) => T): T {
    return this.runtimeFor(groupId).read(fn);
  }

  /** Every active shard, for ListGroups. */
  activeShards(): GroupShard[] {
    return [...this.runtimes.values()].filter((rt) => rt.isActive).map((rt) => rt.shard);
  }

  /** Whether every __consumer_offsets partition led here has loaded. */
  get loading(): boolean {
    return [...this.runtimes.values()].some((rt) => rt.isLoading);
  }

  private expireOffsets(): void {
    for (const rt of this.runtimes.values()) {
      if (!rt.isActive) continue;
      rt.run((shard, op) => shard.expireOffsets(op)).catch((err: unknown) => {
        if (rt.isActive) this.deps.log.warn({ err, partition: rt.partition }, 'offset expiration failed');
      });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    const all = [...this.runtimes.values()];
    this.runtimes.clear();
    await Promise.all(all.map((rt) => rt.close(ErrorCode.COORDINATOR_NOT_AVAILABLE)));
  }
}

/**
 * How __consumer_offsets is created (on the first FindCoordinator for a
 * group, as Kafka does): offsets.topic.num.partitions partitions,
 * offsets.topic.replication.factor capped at the live brokers, compacted,
 * segments of offsets.topic.segment.bytes.
 */
export function offsetsTopicSpec(config: GroupConfig, liveBrokers: number): {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: [];
  configs: Array<{ name: string; value: string }>;
} {
  return {
    name: OFFSETS_TOPIC,
    numPartitions: config.offsetsTopicPartitions,
    replicationFactor: Math.max(1, Math.min(config.offsetsTopicReplicationFactor, liveBrokers)),
    assignments: [],
    configs: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'compression.type', value: 'producer' },
      { name: 'segment.bytes', value: String(config.offsetsTopicSegmentBytes) },
    ],
  };
}
