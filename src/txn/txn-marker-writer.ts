/**
 * Writing a transaction's commit or abort markers to its partitions.
 *
 * TxnMarkerWriter is what the coordinator needs: write one marker to each
 * of a set of partitions and say, per partition, whether it worked (error
 * code 0) or why not. LocalMarkerWriter writes to partitions this node
 * leads, in process: a __consumer_offsets partition through the group
 * coordinator (so its pending transactional offsets are resolved on the
 * shard's queue), any other through ReplicaManager. ClusterMarkerWriter
 * (cluster-marker-writer.ts), the one the coordinator uses, routes each
 * partition to its leader: here through LocalMarkerWriter, elsewhere with
 * WriteTxnMarkers, which each node serves with LocalMarkerWriter.writeOne.
 *
 * Errors a partition gives, as Kafka's marker sender sorts them:
 * - done: written; or the partition no longer exists (its topic was
 *   deleted); or the partition has a newer producer epoch or coordinator
 *   epoch (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED: a newer
 *   transaction owns it, nothing to write);
 * - everything else is retried (not the leader, loading, storage errors).
 */
import { ErrorCode, toErrorCode } from '../api/error-codes.js';
import type { MetadataImage } from '../controller/metadata-image.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import { OFFSETS_TOPIC } from '../group/group-records.js';
import type { ReplicaManager, TxnMarkerWrite } from '../replication/replica-manager.js';
import type { TopicPartition } from './txn-records.js';

export interface TxnMarkerRequest extends TxnMarkerWrite {
  readonly partitions: readonly TopicPartition[];
}

export interface TxnMarkerWriter {
  /** Writes the marker to every partition; resolves with one error code per partition, in order. */
  write(marker: TxnMarkerRequest): Promise<number[]>;
}

/** Whether a partition's answer ends the attempts for it. */
export function markerFinished(errorCode: number): boolean {
  return (
    errorCode === ErrorCode.NONE ||
    errorCode === ErrorCode.INVALID_PRODUCER_EPOCH ||
    errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED ||
    errorCode === ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT
  );
}

export interface LocalMarkerDeps {
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  readonly image: () => MetadataImage;
}

export class LocalMarkerWriter implements TxnMarkerWriter {
  constructor(private readonly deps: LocalMarkerDeps) {}

  write(marker: TxnMarkerRequest): Promise<number[]> {
    return Promise.all(marker.partitions.map(async (tp) => {
      const code = await this.writeOne(tp.topic, tp.partition, marker);
      // A partition whose topic is gone will never take the marker; Kafka drops it from the transaction.
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !this.deps.image().partition(tp.topic, tp.partition)) return ErrorCode.NONE;
      return code;
    }));
  }

  /**
   * Writes one marker to a partition led here; the error code as
   * WriteTxnMarkers answers it (a group coordinator that is not ready reads
   * as NOT_LEADER_OR_FOLLOWER, which marker senders retry).
   */
  async writeOne(topic: string, partition: number, marker: TxnMarkerWrite): Promise<number> {
    try {
      if (topic === OFFSETS_TOPIC) await this.deps.groups.completeTransaction(partition, marker);
      else await this.deps.replicas.appendTxnMarker(topic, partition, marker);
      return ErrorCode.NONE;
    } catch (err) {
      const code = toErrorCode(err);
      if (code === ErrorCode.NOT_COORDINATOR || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || code === ErrorCode.COORDINATOR_NOT_AVAILABLE) {
        return ErrorCode.NOT_LEADER_OR_FOLLOWER;
      }
      return code;
    }
  }
}
