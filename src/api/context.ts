/**
 * What a handler sees: the request header, the connection it came on, and
 * the node's services.
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-config.js';
import type { MetadataImage } from '../controller/metadata-image.js';
import type { QuorumController } from '../controller/quorum-controller.js';
import type { ListenerScope } from './registry.js';
import type { ReplicaManager } from '../replication/replica-manager.js';
import type { GroupCoordinator } from '../group/group-coordinator.js';
import type { ProducerIdManager } from '../txn/producer-id-manager.js';
import type { TxnCoordinator } from '../txn/txn-coordinator.js';
import type { LocalMarkerWriter } from '../txn/txn-marker-writer.js';

export interface BrokerServices {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly controller: QuorumController;
  readonly replicas: ReplicaManager;
  /** The group coordinator: consumer groups and their committed offsets. */
  readonly groups: GroupCoordinator;
  /** Producer ids for InitProducerId. */
  readonly producerIds: ProducerIdManager;
  /** The transaction coordinator: transactional ids, their transactions and markers. */
  readonly txns: TxnCoordinator;
  /** Writes transaction markers to partitions led here (WriteTxnMarkers). */
  readonly txnMarkers: LocalMarkerWriter;
  /** The current metadata image. */
  image(): MetadataImage;
  /** Creates missing topics with the broker defaults (auto.create.topics.enable). */
  autoCreateTopics(names: string[]): Promise<void>;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  /** Listener the request arrived on (e.g. PLAINTEXT). */
  readonly listenerName: string;
  /** Whether that is a client listener or a CONTROLLER listener (which APIs it serves). */
  readonly listenerScope: ListenerScope;
  readonly clientAddress: string;
  readonly broker: BrokerServices;
  /**
   * Marks this request's ordering point: its effects are now ordered against
   * later requests on the connection (Produce: appends queued, offsets
   * assigned), so a following pipelined request may start. Idempotent;
   * returning from the handler implies it. See ApiSpec.pipelined.
   */
  sequenced(): void;
}
