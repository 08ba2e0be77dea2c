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
import './init-producer-id.js';

export { lookupApi, registeredApis, requestSchema, NO_RESPONSE, CLOSE_CONNECTION } from './registry.js';
export { supportedApiVersions } from './api-versions.js';
export type { BrokerServices, RequestContext } from './context.js';
