/**
 * The controller's request and result types (QuorumController's methods and
 * the handlers that call them; re-exported by quorum-controller.ts).
 */

export interface CreateTopicRequest {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

export interface TopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  numPartitions: number;
  replicationFactor: number;
}

/** IncrementalAlterConfigs operations (SET, DELETE, APPEND, SUBTRACT; the last two for list configs). */
export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';

export interface TopicConfigChange {
  topic: string;
  /** incremental: apply each op; replace (AlterConfigs): the given values become the topic's whole override set. */
  mode: 'incremental' | 'replace';
  configs: Array<{ name: string; op: ConfigOp; value: string | null }>;
}

export interface ConfigChangeResult {
  topic: string;
  errorCode: number;
  errorMessage: string | null;
}

export interface ElectionResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}
