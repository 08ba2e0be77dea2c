/** Every conformance check, in the order they run. */
import type { Check } from '../check.js';
import { apiVersionsChecks } from './api-versions.js';
import { versionChecks } from './versions.js';
import { metadataChecks } from './metadata.js';
import { produceChecks } from './produce.js';
import { fetchChecks } from './fetch.js';
import { listOffsetsChecks } from './list-offsets.js';
import { topicChecks } from './topics.js';
import { describeChecks } from './describe.js';
import { configsAndRecordsChecks } from './configs-records.js';
import { groupChecks } from './groups.js';
import { offsetChecks } from './offsets.js';
import { groupAdminChecks } from './group-admin.js';
import { idempotenceChecks } from './idempotence.js';
import { transactionApiChecks } from './transactions.js';
import { transactionAdminChecks } from './txn-admin.js';
import { transactionReadChecks } from './txn-reads.js';
import { scenarioChecks } from './scenarios.js';
import { krillChecks } from './krill.js';
import { replicationChecks } from './replication.js';
import { quorumChecks } from './quorum.js';

export const ALL_CHECKS: readonly Check[] = [
  ...apiVersionsChecks,
  ...metadataChecks,
  ...produceChecks,
  ...fetchChecks,
  ...listOffsetsChecks,
  ...topicChecks,
  ...describeChecks,
  ...configsAndRecordsChecks,
  ...groupChecks,
  ...offsetChecks,
  ...groupAdminChecks,
  ...idempotenceChecks,
  ...transactionApiChecks,
  ...transactionAdminChecks,
  ...transactionReadChecks,
  ...scenarioChecks,
  ...replicationChecks,
  ...quorumChecks,
  ...versionChecks,
  ...krillChecks,
];
