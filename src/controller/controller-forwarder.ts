/**
 * Sending metadata changes to the active controller when this node is not
 * it (KIP-590's forwarding, done with the plain requests on the CONTROLLER
 * listener): CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * IncrementalAlterConfigs and AllocateProducerIds.
 *
 * `send` finds the leader (this node's Raft view), sends, and retries on
 * NOT_CONTROLLER answers and connection failures until the deadline, as
 * Kafka's controller channel does. After a change is answered, `catchUp`
 * asks the leader for its high watermark (DescribeQuorum) and waits until
 * the local image has published at least that far, so a client that goes
 * on to use what it created here finds it.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../api/error-codes.js';
import type { Clock } from '../platform/clock.js';
import { KafkaClientError, type Address, type ApiKeyOf, type KafkaClientPool, type RequestOf, type ResponseOf } from '../platform/kafka-client.js';
import type { MetadataQuorum } from './metadata-quorum.js';
import { DESCRIBE_QUORUM_VERSION, METADATA_PARTITION, METADATA_TOPIC } from './raft-wire.js';
import { NO_NODE } from './raft/types.js';

const RETRY_BACKOFF_MS = 100;

/** Thrown by `send` when this node has become the leader: run the change locally. */
export class LeaderIsLocal extends Error {
  constructor() {
    super('this node is the active controller');
  }
}

export interface ControllerForwarderOptions {
  readonly selfId: number;
  readonly quorum: MetadataQuorum;
  readonly pool: KafkaClientPool;
  readonly addresses: ReadonlyMap<number, Address>;
  readonly clock: Clock;
  /** Per-attempt timeout (controller.quorum.request.timeout.ms). */
  readonly requestTimeoutMs: number;
  /** Overall bound on finding a controller and getting an answer. */
  readonly deadlineMs: number;
  readonly logger: Logger;
}

export class ControllerForwarder {
  constructor(private readonly o: ControllerForwarderOptions) {}

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }

  /**
   * Sends a request to the active controller, retrying while `notController`
   * says the receiver was not it. Throws LeaderIsLocal when this node leads,
   * KafkaError(REQUEST_TIMED_OUT) when no controller answered in time.
   */
  async send<K extends ApiKeyOf>(
    apiKey: K,
    version: number,
    body: RequestOf<K>,
    notController: (r: ResponseOf<K>) => boolean,
    deadlineMs = this.o.deadlineMs,
  ): Promise<{ response: ResponseOf<K>; leader: Address }> {
    const deadline = this.o.clock.now() + deadlineMs;
    for (;;) {
      if (this.o.quorum.isLeader()) throw new LeaderIsLocal();
      const leaderId = this.o.quorum.leaderId;
      const address = leaderId === NO_NODE || leaderId === this.o.selfId ? undefined : this.o.addresses.get(leaderId);
      const remaining = deadline - this.o.clock.now();
      if (remaining <= 0) throw new KafkaError('REQUEST_TIMED_OUT', 'no active controller answered in time');
      if (address) {
        try {
          const response = await this.o.pool.request(address, 'controller', apiKey, version, body, Math.min(remaining, this.o.requestTimeoutMs));
          if (!notController(response)) return { response, leader: address };
        } catch (err) {
          if (!(err instanceof KafkaClientError)) throw err;
          this.o.logger.debug({ leaderId, apiKey, err: err.message }, 'forwarding to the controller failed; retrying');
        }
      }
      await this.#sleep(RETRY_BACKOFF_MS);
    }
  }

  /** Waits until the local image has caught up with the leader's high watermark (best effort, bounded). */
  async catchUp(leader: Address): Promise<void> {
    try {
      const r = await this.o.pool.request(leader, 'controller', 55, DESCRIBE_QUORUM_VERSION, { topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION }] }] }, this.o.requestTimeoutMs);
      const p = r.topics[0]?.partitions[0];
      if (r.errorCode !== 0 || !p || p.errorCode !== 0 || p.highWatermark <= 0n) return;
      const target = Number(p.highWatermark) - 1;
      await Promise.race([this.o.quorum.waitPublished(target), this.#sleep(this.o.deadlineMs)]);
    } catch (err) {
      this.o.logger.debug({ err: (err as Error).message }, 'could not catch up with the controller after a forwarded change');
    }
  }

  /** send + catchUp: the answer once the change is visible here. */
  async forward<K extends ApiKeyOf>(apiKey: K, version: number, body: RequestOf<K>, notController: (r: ResponseOf<K>) => boolean): Promise<ResponseOf<K>> {
    const { response, leader } = await this.send(apiKey, version, body, notController);
    await this.catchUp(leader);
    return response;
  }
}

/** An answer whose every result is NOT_CONTROLLER: the receiver was not the controller. */
export function allNotController(codes: readonly number[]): boolean {
  return codes.length > 0 && codes.every((c) => c === ErrorCode.NOT_CONTROLLER);
}
