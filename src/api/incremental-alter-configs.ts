/**
 * IncrementalAlterConfigs (key 44), v0-1 (v1 flexible). For a TOPIC
 * resource each entry is an operation on one config: SET (0), DELETE (1,
 * back to the broker default), APPEND (2) and SUBTRACT (3) for list configs
 * such as cleanup.policy. The topic is validated and changed as a whole by
 * the controller (Config records) and the partition logs pick the change up
 * with the next metadata image, without a restart. validateOnly checks
 * without committing. As in Kafka: the same config twice in one resource is
 * INVALID_REQUEST ("Error due to duplicate config keys"), SET with a null
 * value and unknown operations are INVALID_REQUEST, unknown names and bad
 * values INVALID_CONFIG. BROKER resources answer as AlterConfigs does
 * (Krill's broker configs are static).
 */
import { incrementalAlterConfigsRequestMeta } from '../protocol/generated/incremental-alter-configs-request.js';
import { incrementalAlterConfigsResponseMeta } from '../protocol/generated/incremental-alter-configs-response.js';
import type { ConfigOp } from '../controller/quorum-controller.js';
import { alterConfigResources, type ResourceChange } from './alter-configs.js';
import { KafkaError } from './error-codes.js';
import { registerApi } from './registry.js';

const OPS: readonly ConfigOp[] = ['set', 'delete', 'append', 'subtract'];

registerApi({
  request: incrementalAlterConfigsRequestMeta,
  response: incrementalAlterConfigsResponseMeta,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const resources = req.resources.map(
      (r): ResourceChange => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        names: r.configs.map((c) => c.name),
        topicChange() {
          const names = r.configs.map((c) => c.name);
          if (new Set(names).size !== names.length) throw new KafkaError('INVALID_REQUEST', 'Error due to duplicate config keys');
          const configs = r.configs.map((c) => {
            const op = OPS[c.configOperation];
            if (op === undefined) throw new KafkaError('INVALID_REQUEST', `Unknown config operation ${c.configOperation} for ${c.name}`);
            if (op === 'set' && c.value === null) throw new KafkaError('INVALID_REQUEST', `Null value not supported for : ${c.name}`);
            return { name: c.name, op, value: c.value };
          });
          return { topic: r.resourceName, mode: 'incremental', configs };
        },
      }),
    );
    return { throttleTimeMs: 0, responses: await alterConfigResources(ctx, resources, req.validateOnly) };
  },
});
