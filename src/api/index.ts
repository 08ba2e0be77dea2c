/** Loads every API handler; each registers itself with the registry. */
import './api-versions.js';
import './metadata.js';
import './produce.js';
import './fetch.js';
import './list-offsets.js';
import './create-topics.js';
import './delete-topics.js';
import './create-partitions.js';
import './describe-cluster.js';
import './describe-configs.js';
import './find-coordinator.js';
import './join-group.js';
import './sync-group.js';
import './heartbeat.js';
import './leave-group.js';
import './offset-commit.js';
import './offset-fetch.js';
import './offset-delete.js';
import './describe-groups.js';
import './list-groups.js';
import './delete-groups.js';
import './init-producer-id.js';

export { lookupApi, registeredApis, requestSchema, NO_RESPONSE, CLOSE_CONNECTION } from './registry.js';
export { supportedApiVersions } from './api-versions.js';
export type { BrokerServices, RequestContext } from './context.js';
