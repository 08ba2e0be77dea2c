/**
 * The active controller's side of the broker lifecycle (KIP-631):
 * BrokerRegistration, BrokerHeartbeat and session expiry.
 *
 * - Registration: a RegisterBrokerRecord, fenced, whose broker epoch is the
 *   record's offset. A registration with a new incarnation id while the old
 *   one still has a live session is DUPLICATE_BROKER_REGISTRATION; once that
 *   session has lapsed (or the old one is fenced) the old registration is
 *   fenced first (its partitions lose it as leader and ISR member) and the
 *   new one replaces it. The same incarnation registering again (a retry, or
 *   after a controller failover) keeps its epoch.
 * - Heartbeat: refreshes the session. A fenced broker is unfenced once it is
 *   caught up (its metadata offset has reached its registration record) and
 *   does not want to be fenced; leaderless partitions whose ISR holds it get
 *   it back as leader. wantShutDown moves leadership away and fences it
 *   (controlled shutdown), answered with shouldShutDown.
 * - Sessions live in memory on the active controller only; a newly active
 *   controller gives every broker a full broker.session.timeout.ms from its
 *   activation. An expired session fences the broker (broker-changes.ts).
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../api/error-codes.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { MetadataImage } from './metadata-image.js';
import type { MetadataRecordInput } from './metadata-records.js';

export interface BrokerRegistrationInput {
  brokerId: number;
  clusterId: string;
  incarnationId: string;
  listeners: Array<{ name: string; host: string; port: number; securityProtocol: number }>;
  rack: string | null;
}

export interface BrokerHeartbeatInput {
  brokerId: number;
  brokerEpoch: bigint;
  currentMetadataOffset: bigint;
  wantFence: boolean;
  wantShutDown: boolean;
}

export interface RegistrationResult {
  errorCode: number;
  brokerEpoch: bigint;
}

export interface HeartbeatResult {
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}

export interface BrokerControlDeps {
  readonly clusterId: string;
  readonly sessionTimeoutMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  image(): MetadataImage;
  /** Offset the next committed record will get (the leader's log end). */
  nextOffset(): number;
  isActive(): boolean;
  /** Run on the controller's serial queue, as the active controller. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  commit(records: MetadataRecordInput[]): Promise<void>;
  /** Records that fence a broker, moving its leadership and ISR places away (empty when unknown). */
  fenceRecords(image: MetadataImage, brokerId: number): MetadataRecordInput[];
  /** Records that unfence a broker, giving leaderless partitions a leader. */
  unfenceRecords(image: MetadataImage, brokerId: number): MetadataRecordInput[];
}

export class BrokerControl {
  readonly #lastContact = new Map<number, number>();
  #activeSince = -1;
  #timer: TimerHandle | null = null;

  constructor(private readonly d: BrokerControlDeps) {}

  start(checkEveryMs: number): void {
    this.#timer ??= this.d.clock.setInterval(() => this.#checkSessions(), checkEveryMs);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }

  #contact(id: number): number {
    return Math.max(this.#lastContact.get(id) ?? -1, this.#activeSince);
  }

  #sessionAlive(id: number, now: number): boolean {
    return now - this.#contact(id) < this.d.sessionTimeoutMs;
  }

  /** Called whenever this node may have become active: restart every session's clock. */
  #noteActive(): void {
    if (this.#activeSince < 0) this.#activeSince = this.d.clock.now();
  }

  register(req: BrokerRegistrationInput): Promise<RegistrationResult> {
    return this.d.run(async () => {
      this.#noteActive();
      if (req.clusterId !== this.d.clusterId) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, brokerEpoch: -1n };
      const now = this.d.clock.now();
      const image = this.d.image();
      const prev = image.brokers.get(req.brokerId);
      const endpoints = req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol }));
      if (prev && prev.incarnationId === req.incarnationId) {
        this.#lastContact.set(req.brokerId, now);
        return { errorCode: 0, brokerEpoch: prev.epoch };
      }
      if (prev && !prev.fenced && this.#lastContact.has(req.brokerId) && this.#sessionAlive(req.brokerId, now)) {
        return { errorCode: ErrorCode.DUPLICATE_BROKER_REGISTRATION, brokerEpoch: -1n };
      }
      const records: MetadataRecordInput[] = prev ? this.d.fenceRecords(image, req.brokerId) : [];
      const brokerEpoch = BigInt(this.d.nextOffset() + records.length);
      records.push({
        type: 'RegisterBroker',
        data: { brokerId: req.brokerId, incarnationId: req.incarnationId, brokerEpoch, endPoints: endpoints, rack: req.rack, fenced: true },
      });
      await this.d.commit(records);
      this.#lastContact.set(req.brokerId, now);
      this.d.logger.info({ brokerId: req.brokerId, brokerEpoch: Number(brokerEpoch) }, 'broker registered (fenced until caught up)');
      return { errorCode: 0, brokerEpoch };
    });
  }

  heartbeat(req: BrokerHeartbeatInput): Promise<HeartbeatResult> {
    return this.d.run(async () => {
      this.#noteActive();
      const image = this.d.image();
      const b = image.brokers.get(req.brokerId);
      if (!b) return { errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, isCaughtUp: false, isFenced: true, shouldShutDown: false };
      if (b.epoch !== req.brokerEpoch) return { errorCode: ErrorCode.STALE_BROKER_EPOCH, isCaughtUp: false, isFenced: true, shouldShutDown: false };
      this.#lastContact.set(req.brokerId, this.d.clock.now());
      const isCaughtUp = req.currentMetadataOffset >= b.epoch;
      let fenced = b.fenced;
      if (req.wantShutDown) {
        await this.d.commit(this.d.fenceRecords(image, req.brokerId));
        this.d.logger.info({ brokerId: req.brokerId }, 'controlled shutdown: broker fenced, its partitions led elsewhere');
        return { errorCode: 0, isCaughtUp, isFenced: true, shouldShutDown: true };
      }
      if (fenced && !req.wantFence && isCaughtUp) {
        await this.d.commit(this.d.unfenceRecords(image, req.brokerId));
        fenced = false;
        this.d.logger.info({ brokerId: req.brokerId }, 'broker unfenced');
      } else if (!fenced && req.wantFence) {
        await this.d.commit(this.d.fenceRecords(image, req.brokerId));
        fenced = true;
      }
      return { errorCode: 0, isCaughtUp, isFenced: fenced, shouldShutDown: false };
    });
  }

  #checkSessions(): void {
    if (!this.d.isActive()) {
      this.#activeSince = -1;
      return;
    }
    this.#noteActive();
    const now = this.d.clock.now();
    const expired = [...this.d.image().brokers.values()].filter((b) => !b.fenced && !this.#sessionAlive(b.id, now)).map((b) => b.id);
    if (expired.length === 0) return;
    this.d
      .run(async () => {
        for (const id of expired) {
          const b = this.d.image().brokers.get(id);
          if (!b || b.fenced || this.#sessionAlive(id, this.d.clock.now())) continue;
          this.d.logger.warn({ brokerId: id, sessionTimeoutMs: this.d.sessionTimeoutMs }, 'broker session expired: fencing it');
          await this.d.commit(this.d.fenceRecords(this.d.image(), id));
        }
      })
      .catch((err: unknown) => {
        if (!(err instanceof KafkaError)) this.d.logger.error({ err }, 'fencing expired brokers failed');
      });
  }
}
