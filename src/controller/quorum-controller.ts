/**
 * The controller: owns cluster metadata as the Raft-replicated metadata log
 * (`__cluster_metadata-0` in metadata.log.dir, see metadata-quorum.ts) and
 * publishes the image replayed from it.
 *
 * Every change runs on one serial queue on the active controller (the
 * quorum leader, once it has applied its term's first entry): decide
 * synchronously from the current image, turn the decision into records,
 * `commit` them (replicated to a majority, applied to the local image, seen
 * by the listeners), then answer. On any other node the public change
 * methods forward the request to the active controller over the CONTROLLER
 * listener (controller-forwarder.ts) and answer once the change is visible
 * in the local image. `commit` on a node that is not the active controller
 * throws NOT_CONTROLLER.
 *
 * Broker registration, heartbeats and fencing: broker-control.ts.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import { topicConfigValue } from '../config/topic-config.js';
import type { CreateTopicRequest, TopicResult, TopicConfigChange, ConfigChangeResult, ElectionResult, ReassignmentResult, OngoingReassignment } from './controller-types.js';
import { ErrorCode, KafkaError, toErrorCode, type ErrorName } from '../api/error-codes.js';
import { systemClock, type Clock } from '../platform/clock.js';
import { systemRandom, type Random } from '../platform/random.js';
import { KafkaClientPool, type ApiKeyOf, type RequestOf, type ResponseOf } from '../platform/kafka-client.js';
import type { MetadataImage } from './metadata-image.js';
import type { MetadataRecordInput } from './metadata-records.js';
import { MetadataQuorum, type ImageListener } from './metadata-quorum.js';
import { intSetting, membershipOf, raftTimings, rolesOf, type QuorumMembership, type Roles } from './quorum-config.js';
import { ControllerForwarder, LeaderIsLocal } from './controller-forwarder.js';
import { RemoteController } from './controller-remote.js';
import { TopicControl } from './topic-control.js';
import { errorNameOf } from './forwarded-requests.js';
import { BrokerControl, type BrokerHeartbeatInput, type BrokerRegistrationInput, type HeartbeatResult, type RegistrationResult } from './broker-control.js';
import {
  alterPartitionChange,
  brokerRemovedChanges,
  electionChange,
  isLive,
  offlinePartitionChanges,
  toChangeRecord,
  validateAlterPartition,
  type ElectionType,
  type PartitionChange,
  type TopicPolicy,
} from '../replication/partition-changes.js';
import { reassignmentChange } from '../replication/reassignment.js';
import type { AlterPartitionOutcome, IsrMember } from '../replication/isr-manager.js';

export type { ImageListener } from './metadata-quorum.js';
export type { BrokerHeartbeatInput, BrokerRegistrationInput, HeartbeatResult, RegistrationResult } from './broker-control.js';

export type { CreateTopicRequest, TopicResult, ConfigOp, TopicConfigChange, ConfigChangeResult, ElectionResult, ReassignmentResult, OngoingReassignment } from './controller-types.js';

export interface ControllerOpenOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  /** The metadata log directory (…/__cluster_metadata-0). */
  readonly dir: string;
  readonly clock?: Clock;
  readonly random?: Random;
}

/** Upper bound on finding the active controller and getting a change through it. */
const FORWARD_DEADLINE_MS = 15_000;

export class QuorumController {
  private readonly listeners: ImageListener[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  readonly quorum: MetadataQuorum;
  readonly roles: Roles;
  readonly membership: QuorumMembership;
  readonly brokers: BrokerControl;
  private readonly forwarder: ControllerForwarder;
  private readonly remote: RemoteController;
  private readonly topics: TopicControl;
  private readonly pool: KafkaClientPool;
  private readonly clock: Clock;

  private constructor(
    private readonly config: BrokerConfig,
    quorum: MetadataQuorum,
    parts: { roles: Roles; membership: QuorumMembership; pool: KafkaClientPool; clock: Clock; nodeId: number; clusterId: string },
    private readonly log: Logger,
  ) {
    this.quorum = quorum;
    this.roles = parts.roles;
    this.membership = parts.membership;
    this.pool = parts.pool;
    this.clock = parts.clock;
    this.forwarder = new ControllerForwarder({
      selfId: parts.nodeId,
      quorum,
      pool: parts.pool,
      addresses: parts.membership.addresses,
      clock: parts.clock,
      requestTimeoutMs: intSetting(config, 'controller.quorum.request.timeout.ms'),
      deadlineMs: FORWARD_DEADLINE_MS,
      logger: log.child({ component: 'controller-forwarder' }),
    });
    this.remote = new RemoteController(this.forwarder);
    this.topics = new TopicControl({ config, image: () => this.current, run: (fn) => this.run(fn), commit: (records) => this.commit(records) });
    this.brokers = new BrokerControl({
      clusterId: parts.clusterId,
      sessionTimeoutMs: intSetting(config, 'broker.session.timeout.ms'),
      clock: parts.clock,
      logger: log.child({ component: 'broker-control' }),
      image: () => this.current,
      nextOffset: () => this.quorum.storage.lastIndex(),
      isActive: () => this.quorum.isActive(),
      run: (fn) => this.run(fn),
      commit: (records) => this.commit(records),
      fenceRecords: (image, id) => this.fenceRecords(image, id),
      unfenceRecords: (image, id) => this.unfenceRecords(image, id),
    });
  }

  /** Opens the metadata log (recovery, snapshot) and builds the Raft node; `start` makes it run. */
  static async open(config: BrokerConfig, opts: ControllerOpenOptions, log: Logger): Promise<QuorumController> {
    const roles = rolesOf(config);
    const membership = membershipOf(config, opts.nodeId, roles);
    const clock = opts.clock ?? systemClock();
    const pool = new KafkaClientPool({ clientId: `krill-${opts.nodeId}`, connectTimeoutMs: intSetting(config, 'controller.quorum.request.timeout.ms') });
    const self = membership.addresses.get(opts.nodeId);
    const controllerListener = config.list('controller.listener.names')[0] ?? 'CONTROLLER';
    const quorum = await MetadataQuorum.open({
      nodeId: opts.nodeId,
      clusterId: opts.clusterId,
      dir: opts.dir,
      voterIds: membership.voterIds,
      addresses: membership.addresses,
      endpoints: self ? [{ name: controllerListener, host: self.host, port: self.port }] : [],
      timings: raftTimings(config),
      snapshotBytes: intSetting(config, 'metadata.log.max.record.bytes.between.snapshots'),
      pool,
      clock,
      random: opts.random ?? systemRandom(),
      logger: log,
    });
    const controller = new QuorumController(config, quorum, { roles, membership, pool, clock, nodeId: opts.nodeId, clusterId: opts.clusterId }, log);
    quorum.onImage(async (img) => {
      for (const l of controller.listeners) await l(img);
    });
    return controller;
  }

  /**
   * Starts the Raft node (ticking, fetching, answering). A quorum of this
   * node alone elects itself and replays the log before this resolves.
   */
  async start(): Promise<void> {
    this.quorum.start();
    this.brokers.start(Math.max(50, Math.min(1000, Math.floor(intSetting(this.config, 'broker.session.timeout.ms') / 10))));
    const ids = this.membership.voterIds;
    if (ids.length === 1 && this.membership.isVoter) await this.waitUntilActive(30_000);
  }

  /** Resolves once this node is the active controller (for a quorum of one), or rejects after timeoutMs. */
  async waitUntilActive(timeoutMs: number): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    while (!this.quorum.isActive()) {
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) throw new KafkaError('NOT_CONTROLLER', `node did not become the active controller within ${timeoutMs} ms`);
      if (this.quorum.isLeader()) await Promise.race([this.quorum.awaitActive(), this.quorum.driver.waitForChange(remaining)]);
      else await this.quorum.driver.waitForChange(Math.min(remaining, 100));
    }
  }

  /**
   * Hands Raft leadership to the most caught-up other voter before this node
   * stops (a clean stop then costs no election timeout); gives up after
   * timeoutMs. A no-op when this node is not the leader or votes alone.
   */
  async resignLeadership(timeoutMs: number): Promise<void> {
    if (!this.quorum.isLeader() || this.membership.voterIds.length < 2) return;
    const driver = this.quorum.driver;
    const moved = await driver
      .submit((node) => {
        const st = node.status();
        const best = [...(st.progress ?? new Map())].filter(([id, p]) => this.membership.voterIds.includes(id) && p.recentActive).sort((a, b) => b[1].match - a[1].match)[0];
        return best ? node.transferLeadership(best[0]) : false;
      })
      .catch(() => false);
    if (!moved) return;
    const deadline = this.clock.now() + timeoutMs;
    while (this.quorum.isLeader() && this.clock.now() < deadline) await driver.waitForChange(deadline - this.clock.now());
    if (!this.quorum.isLeader()) this.log.info({ leader: this.quorum.leaderId }, 'handed metadata quorum leadership over before stopping');
  }

  async stop(): Promise<void> {
    this.brokers.stop();
    await this.quorum.stop();
    this.pool.close();
  }

  private get current(): MetadataImage {
    return this.quorum.image();
  }

  image(): MetadataImage {
    return this.current;
  }

  /** Calls fn with every new image, in order; returns a function that stops it. */
  onImage(fn: ImageListener): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** This node is the quorum leader and has caught up: it decides metadata changes. */
  isActive(): boolean {
    return this.quorum.isActive();
  }

  /** The active controller's id as this node knows it (-1 when none). */
  get leaderId(): number {
    return this.quorum.leaderId;
  }

  /** Runs fn on the controller's serial queue, as the active controller (NOT_CONTROLLER otherwise). */
  private run<T>(fn: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      await this.quorum.awaitActive();
      return fn();
    };
    const p = this.queue.then(guarded, guarded);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Commits records through the quorum; resolves once they are applied to the local image and published. */
  private async commit(records: MetadataRecordInput[]): Promise<void> {
    if (records.length === 0) return;
    await this.quorum.commit(records);
  }

  /**
   * Runs a change here when this node is the active controller, otherwise
   * forwards it; a NOT_CONTROLLER while running locally (leadership moved)
   * falls back to forwarding. Failures become `onError`'s result.
   */
  private async routed<T>(local: () => Promise<T>, remote: () => Promise<T>, onError: (code: number, message: string) => T): Promise<T> {
    const deadline = this.clock.now() + FORWARD_DEADLINE_MS;
    for (;;) {
      try {
        if (this.quorum.isLeader()) return await local();
        return await remote();
      } catch (err) {
        const retry = err instanceof LeaderIsLocal || (err instanceof KafkaError && err.errorCode === ErrorCode.NOT_CONTROLLER);
        if (!retry || this.clock.now() >= deadline) {
          if (err instanceof KafkaError) return onError(err.errorCode, err.message);
          if (err instanceof LeaderIsLocal) return onError(ErrorCode.NOT_CONTROLLER, err.message);
          throw err;
        }
        await this.quorum.driver.waitForChange(100);
      }
    }
  }

  /** BrokerRegistration at the active controller (the handler on the controller listener and local brokers). */
  registerBroker(req: BrokerRegistrationInput): Promise<RegistrationResult> {
    return this.brokers.register(req).catch((err: unknown) => ({ errorCode: toErrorCode(err), brokerEpoch: -1n }));
  }

  brokerHeartbeat(req: BrokerHeartbeatInput): Promise<HeartbeatResult> {
    return this.brokers.heartbeat(req).catch((err: unknown) => ({ errorCode: toErrorCode(err), isCaughtUp: false, isFenced: true, shouldShutDown: false }));
  }

  /** Registration from this node's broker side: locally when active, else sent to the active controller. */
  sendBrokerRegistration(req: BrokerRegistrationInput): Promise<RegistrationResult> {
    return this.routed(
      () => this.brokers.register(req),
      () => this.remote.brokerRegistration(req),
      (errorCode) => ({ errorCode, brokerEpoch: -1n }),
    );
  }

  sendBrokerHeartbeat(req: BrokerHeartbeatInput): Promise<HeartbeatResult> {
    return this.routed(
      () => this.brokers.heartbeat(req),
      () => this.remote.brokerHeartbeat(req),
      (errorCode) => ({ errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false }),
    );
  }

  /**
   * Hands a broker the next block of producer ids. The block is committed as
   * a ProducerIdsRecord before it is returned, so ids never repeat, even
   * after a restart.
   */
  allocateProducerIds(brokerId: number, blockSize: number): Promise<{ start: bigint; length: number }> {
    return this.routed(
      () => this.allocateProducerIdsAtController(brokerId, blockSize),
      () => this.remote.allocateProducerIds(brokerId, this.current.brokers.get(brokerId)?.epoch ?? -1n),
      (code, message) => {
        throw new KafkaError(errorNameOf(code), message);
      },
    );
  }

  /** AllocateProducerIds at the active controller only (NOT_CONTROLLER elsewhere). */
  allocateProducerIdsAtController(brokerId: number, blockSize: number): Promise<{ start: bigint; length: number }> {
    return this.run(async () => {
      const start = this.current.nextProducerId;
      const broker = this.current.brokers.get(brokerId);
      await this.commit([
        { type: 'ProducerIds', data: { brokerId, brokerEpoch: broker?.epoch ?? -1n, nextProducerId: start + BigInt(blockSize) } },
      ]);
      return { start, length: blockSize };
    });
  }

  createTopics(reqs: CreateTopicRequest[], validateOnly: boolean): Promise<TopicResult[]> {
    return this.routed(
      () => this.topics.createTopics(reqs, validateOnly),
      () => this.remote.createTopics(reqs, validateOnly),
      (code, message) => reqs.map((r) => ({ name: r.name, topicId: ZERO_ID, errorCode: code, errorMessage: message, numPartitions: -1, replicationFactor: -1 })),
    );
  }

  deleteTopics(names: string[]): Promise<Array<{ name: string; topicId: string; errorCode: number; errorMessage: string | null }>> {
    return this.routed(
      () => this.topics.deleteTopics(names),
      () => this.remote.deleteTopics(names),
      (code, message) => names.map((name) => ({ name, topicId: ZERO_ID, errorCode: code, errorMessage: message })),
    );
  }

  /**
   * Changes topic-level configs (IncrementalAlterConfigs, AlterConfigs): each
   * topic is validated as a whole and changed as a whole, as Config records
   * (value null removes an override). With validateOnly nothing is committed.
   */
  alterTopicConfigs(changes: TopicConfigChange[], validateOnly: boolean): Promise<ConfigChangeResult[]> {
    return this.routed(
      () => this.topics.alterTopicConfigs(changes, validateOnly),
      () => this.remote.alterTopicConfigs(changes, validateOnly),
      (code, message) => changes.map((c) => ({ topic: c.topic, errorCode: code, errorMessage: message })),
    );
  }

  createPartitions(
    reqs: Array<{ name: string; count: number; assignments: number[][] | null }>,
    validateOnly: boolean,
  ): Promise<Array<{ name: string; errorCode: number; errorMessage: string | null }>> {
    return this.routed(
      () => this.topics.createPartitions(reqs, validateOnly),
      () => this.remote.createPartitions(reqs, validateOnly),
      (code, message) => reqs.map((r) => ({ name: r.name, errorCode: code, errorMessage: message })),
    );
  }

  // ---- Replication: ISR changes, elections, fencing, reassignments (issue 7) ----

  private topicPolicy(): TopicPolicy {
    return { unclean: (topic) => topicConfigValue('unclean.leader.election.enable', this.current.topic(topic)?.configs ?? new Map(), this.config) === 'true' };
  }

  /**
   * AlterPartition from a partition leader (Kafka's
   * ReplicationControlManager.alterPartition): STALE_BROKER_EPOCH for an
   * unknown broker or epoch, UNKNOWN_TOPIC_ID, then validateAlterPartition
   * (NOT_CONTROLLER, FENCED_LEADER_EPOCH, INVALID_REQUEST,
   * INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA). An accepted change is
   * committed as a PartitionChangeRecord; the answer carries the partition
   * state after it. A change that completes a reassignment and moves
   * leadership answers NEW_LEADER_ELECTED (FENCED_LEADER_EPOCH before v2).
   */
  alterPartition(
    brokerId: number,
    brokerEpoch: bigint,
    topicId: string,
    partition: number,
    leaderEpoch: number,
    newIsr: readonly IsrMember[],
    partitionEpoch: number,
    version = 3,
  ): Promise<AlterPartitionOutcome> {
    // On a node that is not the active controller the same request goes to it (AlterPartition v3 on the CONTROLLER listener).
    const failed = (errorCode: number): AlterPartitionOutcome => ({ errorCode, leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 });
    return this.routed(
      () => this.alterPartitionLocal(brokerId, brokerEpoch, topicId, partition, leaderEpoch, newIsr, partitionEpoch, version),
      () => this.remote.alterPartition(brokerId, brokerEpoch, topicId, partition, leaderEpoch, newIsr, partitionEpoch),
      (code) => failed(code),
    );
  }

  private alterPartitionLocal(
    brokerId: number,
    brokerEpoch: bigint,
    topicId: string,
    partition: number,
    leaderEpoch: number,
    newIsr: readonly IsrMember[],
    partitionEpoch: number,
    version: number,
  ): Promise<AlterPartitionOutcome> {
    return this.run(async () => {
      const image = this.current;
      const fail = (e: ErrorName): AlterPartitionOutcome => ({ errorCode: ErrorCode[e], leaderId: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1 });
      const broker = image.brokers.get(brokerId);
      if (!broker || broker.epoch !== brokerEpoch) return fail('STALE_BROKER_EPOCH');
      const t = image.topicsById.get(topicId);
      if (!t) return fail(version > 1 ? 'UNKNOWN_TOPIC_ID' : 'UNKNOWN_TOPIC_OR_PARTITION');
      const p = t.partitions[partition];
      const invalid = validateAlterPartition(image, p, { brokerId, leaderEpoch, partitionEpoch, newIsr }, version);
      if (invalid || !p) return fail(invalid ?? 'UNKNOWN_TOPIC_OR_PARTITION');
      const change = alterPartitionChange(topicId, p, newIsr.map((m) => m.brokerId), (id) => isLive(image, id));
      if (change) await this.commit([toChangeRecord(change)]);
      if (change?.leader !== undefined && change.leader !== brokerId) return fail(version > 1 ? 'NEW_LEADER_ELECTED' : 'FENCED_LEADER_EPOCH');
      const after = this.current.topicsById.get(topicId)?.partitions[partition] ?? p;
      return { errorCode: ErrorCode.NONE, leaderId: after.leader, leaderEpoch: after.leaderEpoch, isr: after.isr, partitionEpoch: after.partitionEpoch };
    });
  }

  /**
   * ElectLeaders: preferred (the first replica, if live and in the ISR) or
   * unclean (only partitions without a live leader; any live replica). A
   * null partition list means every partition, and then partitions that
   * need no election are left out of the answer, as in Kafka.
   */
  electLeaders(type: ElectionType, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionResult[]> {
    const failed = (code: number, message: string): ElectionResult[] =>
      (topics ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode: code, errorMessage: message })));
    return this.routed(
      () => this.electLeadersLocal(type, topics),
      () => this.remote.electLeaders(type, topics),
      failed,
    );
  }

  private electLeadersLocal(type: ElectionType, topics: Array<{ topic: string; partitions: number[] }> | null): Promise<ElectionResult[]> {
    return this.run(async () => {
      const image = this.current;
      const live = (id: number): boolean => isLive(image, id);
      const out: ElectionResult[] = [];
      const changes: PartitionChange[] = [];
      const all = topics === null;
      const wanted = topics ?? [...image.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
      for (const { topic, partitions } of wanted) {
        const t = image.topic(topic);
        for (const partition of partitions) {
          const p = t?.partitions[partition];
          const r = t && p ? electionChange(t.id, p, type, live) : 'UNKNOWN_TOPIC_OR_PARTITION';
          if (typeof r !== 'string') changes.push(r);
          const error: ErrorName | null = typeof r === 'string' ? r : null;
          if (all && error === 'ELECTION_NOT_NEEDED') continue;
          out.push({ topic, partition, errorCode: error ? ErrorCode[error] : 0, errorMessage: error === 'UNKNOWN_TOPIC_OR_PARTITION' ? `No such partition as ${topic}-${partition}` : null });
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return out;
    });
  }

  /** The records that fence a broker: it leaves the ISRs, leadership moves to live ISR members, then FenceBrokerRecord. */
  private fenceRecords(image: MetadataImage, brokerId: number): MetadataRecordInput[] {
    const b = image.brokers.get(brokerId);
    if (!b) return [];
    const changes = brokerRemovedChanges(image, brokerId, this.topicPolicy()).map(toChangeRecord);
    return b.fenced ? changes : [...changes, { type: 'FenceBroker', data: { id: brokerId, epoch: b.epoch } }];
  }

  /** The records that unfence a broker: UnfenceBrokerRecord, then leaders for partitions that had none. */
  private unfenceRecords(image: MetadataImage, brokerId: number): MetadataRecordInput[] {
    const b = image.brokers.get(brokerId);
    if (!b || !b.fenced) return [];
    const changes = offlinePartitionChanges(image, (id) => id === brokerId || isLive(image, id), this.topicPolicy());
    return [{ type: 'UnfenceBroker', data: { id: brokerId, epoch: b.epoch } }, ...changes.map(toChangeRecord)];
  }

  /** Fences a broker (Kafka's handleBrokerFenced): it leaves the ISRs and leadership moves to live ISR members. */
  fenceBroker(brokerId: number): Promise<void> {
    return this.run(async () => {
      const b = this.current.brokers.get(brokerId);
      if (!b || b.fenced) return;
      const records = this.fenceRecords(this.current, brokerId);
      await this.commit(records);
      this.log.info({ brokerId, partitions: records.length - 1 }, 'fenced a broker');
    });
  }

  /** Unfences a broker (Kafka's handleBrokerUnfenced): partitions without a leader may elect it. */
  unfenceBroker(brokerId: number): Promise<void> {
    return this.run(async () => {
      await this.commit(this.unfenceRecords(this.current, brokerId));
    });
  }

  /**
   * Sends a request to the active controller over the CONTROLLER listener
   * (e.g. AlterPartition from a partition leader on another node), retrying
   * while the receiver answers NOT_CONTROLLER (`notController`) until the
   * forwarding deadline. Throws LeaderIsLocal when this node is the active
   * controller (call the local method instead).
   */
  async sendToController<K extends ApiKeyOf>(apiKey: K, version: number, body: RequestOf<K>, notController: (r: ResponseOf<K>) => boolean, deadlineMs?: number): Promise<ResponseOf<K>> {
    return (await this.forwarder.send(apiKey, version, body, notController, deadlineMs)).response;
  }

  /**
   * Controlled shutdown: moves leadership off the broker and takes it out of
   * the ISRs before it stops (Kafka's handleBrokerInControlledShutdown),
   * then fences it, as its session would end anyway.
   */
  controlledShutdown(brokerId: number): Promise<void> {
    return this.fenceBroker(brokerId);
  }

  /**
   * AlterPartitionReassignments: starts, replaces or (replicas null)
   * cancels the move of each partition (reassignment.ts). Errors are per
   * partition: UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT,
   * NO_REASSIGNMENT_IN_PROGRESS.
   */
  alterPartitionReassignments(reqs: Array<{ topic: string; partition: number; replicas: number[] | null }>): Promise<ReassignmentResult[]> {
    const failed = (code: number, message: string): ReassignmentResult[] => reqs.map((r) => ({ ...r, errorCode: code, errorMessage: message }));
    return this.routed(
      () => this.alterPartitionReassignmentsLocal(reqs),
      () => this.remote.alterPartitionReassignments(reqs),
      failed,
    );
  }

  private alterPartitionReassignmentsLocal(reqs: Array<{ topic: string; partition: number; replicas: number[] | null }>): Promise<ReassignmentResult[]> {
    return this.run(async () => {
      const image = this.current;
      const out: ReassignmentResult[] = [];
      const changes: PartitionChange[] = [];
      for (const r of reqs) {
        try {
          const t = image.topic(r.topic);
          const p = t?.partitions[r.partition];
          if (!t || !p) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `Unable to find partition ${r.topic}-${r.partition}`);
          const c = reassignmentChange(image, t.id, p, r.replicas);
          if (c) changes.push(c);
          out.push({ ...r, errorCode: 0, errorMessage: null });
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          out.push({ ...r, errorCode: err.errorCode, errorMessage: err.message });
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return out;
    });
  }

  /** Ongoing reassignments (of the named topics, or all). */
  listPartitionReassignments(topics: Array<{ topic: string; partitions: number[] }> | null): OngoingReassignment[] {
    const image = this.current;
    const out: OngoingReassignment[] = [];
    const wanted = topics ?? [...image.topics.values()].map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.partition) }));
    for (const { topic, partitions } of wanted) {
      const t = image.topic(topic);
      for (const i of partitions) {
        const p = t?.partitions[i];
        if (!p || (p.addingReplicas.length === 0 && p.removingReplicas.length === 0)) continue;
        out.push({ topic, partition: i, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] });
      }
    }
    return out;
  }

  /**
   * auto.leader.rebalance.enable: moves leadership back to preferred
   * replicas that are live and in sync (Kafka's maybeBalancePartitionLeaders).
   * Returns how many partitions moved.
   */
  balanceLeaders(): Promise<number> {
    return this.run(async () => {
      const image = this.current;
      const changes: PartitionChange[] = [];
      for (const t of image.topics.values()) {
        for (const p of t.partitions) {
          const c = p ? electionChange(t.id, p, 'preferred', (id) => isLive(image, id)) : null;
          if (c && typeof c !== 'string') changes.push(c);
        }
      }
      await this.commit(changes.map(toChangeRecord));
      return changes.length;
    });
  }
}

export const ZERO_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
