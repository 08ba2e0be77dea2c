/**
 * ClusterMarkerWriter: the TxnMarkerWriter of a node in a cluster (Kafka's
 * TransactionMarkerChannelManager). Each partition of a marker goes to its
 * current leader as the metadata image names it: partitions led here are
 * written in process by LocalMarkerWriter, the others are sent to their
 * leaders with WriteTxnMarkers (v1) over a connection per broker, on the
 * broker's inter.broker.listener.name endpoint (else its first).
 *
 * Batching: one queue per destination broker. Markers queued while a
 * request to that broker is in flight (and those written in the same tick)
 * go out together in the next request, at most one marker per producer id
 * in a request (the response is keyed by producer id, as in Kafka).
 *
 * Errors per partition, as Kafka's TransactionMarkerRequestCompletionHandler
 * sorts them; the coordinator (txn-coordinator.ts) retries what is not
 * finished after transaction marker backoff, looking the leader up again:
 * - a partition missing from the image (its topic was deleted) is done
 *   (NONE): Kafka drops markers it can no longer deliver;
 * - no leader: LEADER_NOT_AVAILABLE, retried;
 * - a failed or timed-out request (connection refused, broker stopped):
 *   every partition in it gets NETWORK_EXCEPTION, retried;
 * - UNKNOWN_TOPIC_OR_PARTITION from the leader is retried like
 *   NOT_LEADER_OR_FOLLOWER: the next attempt drops the partition if its
 *   topic is gone by then, as Kafka re-enqueues through the metadata cache.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../api/error-codes.js';
import type { MetadataImage } from '../controller/metadata-image.js';
import { KafkaClientPool, type Address } from '../platform/kafka-client.js';
import type { TxnMarkerRequest, TxnMarkerWriter } from './txn-marker-writer.js';
import type { TopicPartition } from './txn-records.js';

const WRITE_TXN_MARKERS = 27;
const WRITE_TXN_MARKERS_VERSION = 1;
/** Markers in one WriteTxnMarkers request, at most. */
const MAX_MARKERS_PER_REQUEST = 1000;

export interface ClusterMarkerDeps {
  readonly nodeId: number;
  /** Writes the partitions this node leads (LocalMarkerWriter). */
  readonly local: TxnMarkerWriter;
  readonly image: () => MetadataImage;
  /** inter.broker.listener.name, if set. */
  readonly listenerName: string | null;
  /** How long a WriteTxnMarkers request may take (the leader waits for acks=all before answering). */
  readonly requestTimeoutMs: number;
  readonly log: Logger;
}

/** One marker for the partitions of one broker, waiting in its queue. */
interface Queued {
  readonly marker: TxnMarkerRequest;
  readonly partitions: readonly TopicPartition[];
  readonly resolve: (codes: number[]) => void;
}

export class ClusterMarkerWriter implements TxnMarkerWriter {
  readonly #pool: KafkaClientPool;
  readonly #queues = new Map<number, Queued[]>();
  readonly #sending = new Set<number>();
  #closed = false;

  constructor(private readonly deps: ClusterMarkerDeps) {
    this.#pool = new KafkaClientPool({ clientId: `krill-txn-markers-${deps.nodeId}`, connectTimeoutMs: Math.min(3000, deps.requestTimeoutMs) });
  }

  async write(marker: TxnMarkerRequest): Promise<number[]> {
    const image = this.deps.image();
    const codes = new Array<number>(marker.partitions.length).fill(ErrorCode.UNKNOWN_SERVER_ERROR);
    const byLeader = new Map<number, number[]>();
    marker.partitions.forEach((tp, i) => {
      const p = image.partition(tp.topic, tp.partition);
      if (!p) codes[i] = ErrorCode.NONE;
      else if (p.leader < 0) codes[i] = ErrorCode.LEADER_NOT_AVAILABLE;
      else {
        const list = byLeader.get(p.leader) ?? [];
        list.push(i);
        byLeader.set(p.leader, list);
      }
    });
    await Promise.all(
      [...byLeader].map(async ([leader, indexes]) => {
        const partitions = indexes.map((i) => marker.partitions[i] as TopicPartition);
        const got = leader === this.deps.nodeId ? await this.deps.local.write({ ...marker, partitions }) : await this.#enqueue(leader, marker, partitions);
        indexes.forEach((i, k) => (codes[i] = got[k] ?? ErrorCode.UNKNOWN_SERVER_ERROR));
      }),
    );
    return codes;
  }

  close(): void {
    this.#closed = true;
    this.#pool.close();
    for (const queue of this.#queues.values()) for (const q of queue.splice(0)) q.resolve(q.partitions.map(() => ErrorCode.NETWORK_EXCEPTION));
    this.#queues.clear();
  }

  #enqueue(broker: number, marker: TxnMarkerRequest, partitions: readonly TopicPartition[]): Promise<number[]> {
    if (this.#closed) return Promise.resolve(partitions.map(() => ErrorCode.NETWORK_EXCEPTION));
    return new Promise((resolve) => {
      const queue = this.#queues.get(broker) ?? [];
      this.#queues.set(broker, queue);
      queue.push({ marker, partitions, resolve });
      // Let the markers of the same tick join the request.
      if (!this.#sending.has(broker)) queueMicrotask(() => void this.#drain(broker));
    });
  }

  /** Sends the broker's queued markers, one request at a time, until its queue is empty. */
  async #drain(broker: number): Promise<void> {
    if (this.#sending.has(broker)) return;
    this.#sending.add(broker);
    try {
      for (;;) {
        const batch = this.#takeBatch(broker);
        if (batch.length === 0) return;
        await this.#send(broker, batch);
      }
    } finally {
      this.#sending.delete(broker);
    }
  }

  /** Queued markers for one request: the oldest first, one per producer id. */
  #takeBatch(broker: number): Queued[] {
    const queue = this.#queues.get(broker);
    if (!queue) return [];
    const batch: Queued[] = [];
    const producers = new Set<bigint>();
    for (let i = 0; i < queue.length && batch.length < MAX_MARKERS_PER_REQUEST; ) {
      const q = queue[i] as Queued;
      if (producers.has(q.marker.producerId)) {
        i++;
        continue;
      }
      producers.add(q.marker.producerId);
      batch.push(q);
      queue.splice(i, 1);
    }
    if (queue.length === 0) this.#queues.delete(broker);
    return batch;
  }

  async #send(broker: number, batch: readonly Queued[]): Promise<void> {
    const failAll = (code: number): void => {
      for (const q of batch) q.resolve(q.partitions.map(() => code));
    };
    const address = this.#endpoint(broker);
    if (!address || this.#closed) return failAll(address ? ErrorCode.NETWORK_EXCEPTION : ErrorCode.LEADER_NOT_AVAILABLE);
    const markers = batch.map((q) => ({
      producerId: q.marker.producerId,
      producerEpoch: q.marker.producerEpoch,
      transactionResult: q.marker.commit,
      coordinatorEpoch: q.marker.coordinatorEpoch,
      topics: groupByTopic(q.partitions),
    }));
    let res;
    try {
      res = await this.#pool.request(address, 'txn-markers', WRITE_TXN_MARKERS, WRITE_TXN_MARKERS_VERSION, { markers }, this.deps.requestTimeoutMs);
    } catch (err) {
      this.deps.log.info({ broker, markers: batch.length, err: (err as Error).message }, 'WriteTxnMarkers failed; the coordinator retries');
      return failAll(ErrorCode.NETWORK_EXCEPTION);
    }
    const answers = new Map<bigint, Map<string, number>>();
    for (const m of res.markers) {
      const codes = new Map<string, number>();
      for (const t of m.topics) for (const p of t.partitions) codes.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
      answers.set(m.producerId, codes);
    }
    for (const q of batch) {
      const codes = answers.get(q.marker.producerId);
      q.resolve(q.partitions.map((tp) => codes?.get(`${tp.topic}\0${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR));
    }
  }

  #endpoint(broker: number): Address | null {
    const b = this.deps.image().brokers.get(broker);
    if (!b) return null;
    const name = this.deps.listenerName;
    const e = (name ? b.endpoints.find((x) => x.name === name) : undefined) ?? b.endpoints[0];
    return e ? { host: e.host, port: e.port } : null;
  }
}

function groupByTopic(partitions: readonly TopicPartition[]): Array<{ name: string; partitionIndexes: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
}
