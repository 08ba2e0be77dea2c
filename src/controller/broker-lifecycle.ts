/**
 * The broker's side of its lifecycle (Kafka's BrokerLifecycleManager,
 * KIP-631): register with the active controller (BrokerRegistration), then
 * keep a session with BrokerHeartbeat every broker.heartbeat.interval.ms,
 * reporting how far this node's metadata image has got. The controller
 * unfences the broker once that offset reaches its registration; until then
 * heartbeats go out quickly. A STALE_BROKER_EPOCH answer (the controller
 * lost or replaced the registration) registers again with the same
 * incarnation. Controlled shutdown is a heartbeat with wantShutDown, which
 * the controller answers after moving leadership away.
 *
 * Requests go to the active controller wherever it is: locally when this
 * node is it, else over the CONTROLLER listener (QuorumController routes).
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../api/error-codes.js';
import type { Clock, TimerHandle } from '../platform/clock.js';
import type { QuorumController } from './quorum-controller.js';
import type { BrokerRegistrationInput } from './broker-control.js';

const FENCED_HEARTBEAT_MS = 100;
const RETRY_BACKOFF_MS = 200;
const STOP_WAIT_MS = 1000;

export interface BrokerLifecycleOptions {
  readonly registration: BrokerRegistrationInput;
  readonly controller: QuorumController;
  readonly clock: Clock;
  readonly heartbeatIntervalMs: number;
  readonly logger: Logger;
}

export class BrokerLifecycle {
  readonly #o: BrokerLifecycleOptions;
  #epoch = -1n;
  #fenced = true;
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #sleepTimer: TimerHandle | null = null;
  #unfencedWaiters: Array<() => void> = [];

  constructor(opts: BrokerLifecycleOptions) {
    this.#o = opts;
  }

  get brokerEpoch(): bigint {
    return this.#epoch;
  }

  get isFenced(): boolean {
    return this.#fenced;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Resolves once the controller has unfenced this broker. */
  whenUnfenced(): Promise<void> {
    if (!this.#fenced) return Promise.resolve();
    return new Promise((resolve) => this.#unfencedWaiters.push(resolve));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = this.#o.clock.setTimeout(resolve, ms);
    });
  }

  #interrupt(): void {
    this.#sleepTimer?.cancel();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    const { controller, registration: reg, logger } = this.#o;
    while (this.#running) {
      try {
        if (this.#epoch < 0n) {
          const r = await controller.sendBrokerRegistration(reg);
          if (r.errorCode === 0) {
            this.#epoch = r.brokerEpoch;
            logger.info({ brokerId: reg.brokerId, brokerEpoch: Number(r.brokerEpoch) }, 'registered with the controller');
            continue;
          }
          logger.info({ errorCode: r.errorCode }, 'broker registration refused; retrying');
          await this.#sleep(RETRY_BACKOFF_MS);
          continue;
        }
        const r = await controller.sendBrokerHeartbeat({
          brokerId: reg.brokerId,
          brokerEpoch: this.#epoch,
          currentMetadataOffset: BigInt(controller.quorum.publishedOffset),
          wantFence: false,
          wantShutDown: false,
        });
        if (!this.#running) break;
        if (r.errorCode === ErrorCode.STALE_BROKER_EPOCH || r.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
          this.#epoch = -1n;
          continue;
        }
        if (r.errorCode === 0) this.#setFenced(r.isFenced);
        await this.#sleep(this.#fenced ? FENCED_HEARTBEAT_MS : this.#o.heartbeatIntervalMs);
      } catch (err) {
        logger.warn({ err }, 'broker heartbeat failed');
        await this.#sleep(RETRY_BACKOFF_MS);
      }
    }
  }

  #setFenced(fenced: boolean): void {
    const was = this.#fenced;
    this.#fenced = fenced;
    if (was && !fenced) {
      this.#o.logger.info({ brokerId: this.#o.registration.brokerId }, 'broker unfenced by the controller');
      for (const w of this.#unfencedWaiters.splice(0)) w();
    }
  }

  /**
   * Controlled shutdown: stop heartbeating and ask the controller to move
   * leadership away and fence this broker; gives up after timeoutMs.
   */
  async controlledShutdown(timeoutMs: number): Promise<boolean> {
    await this.stop();
    if (this.#epoch < 0n) return false;
    const deadline = this.#o.clock.now() + timeoutMs;
    while (this.#o.clock.now() < deadline) {
      const r = await Promise.race([
        this.#o.controller.sendBrokerHeartbeat({
          brokerId: this.#o.registration.brokerId,
          brokerEpoch: this.#epoch,
          currentMetadataOffset: BigInt(this.#o.controller.quorum.publishedOffset),
          wantFence: true,
          wantShutDown: true,
        }),
        new Promise<null>((resolve) => this.#o.clock.setTimeout(() => resolve(null), Math.max(1, deadline - this.#o.clock.now()))),
      ]);
      if (r && r.errorCode === 0 && r.shouldShutDown) return true;
      if (r && r.errorCode !== 0 && r.errorCode !== ErrorCode.NOT_CONTROLLER && r.errorCode !== ErrorCode.REQUEST_TIMED_OUT) return false;
      await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, RETRY_BACKOFF_MS));
    }
    return false;
  }

  /** Stops heartbeating; a request still in flight is abandoned after a short wait. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#interrupt();
    const loop = this.#loop;
    if (!loop) return;
    await Promise.race([loop, new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, STOP_WAIT_MS))]);
  }
}
