/**
 * AlterConfigs (key 33), v0-2 (v2 flexible), the legacy whole-set form: for
 * a TOPIC resource the configs given become the topic's complete set of
 * overrides (overrides not named are removed, as Kafka does); a null value
 * is INVALID_REQUEST. Changes go through the controller as Config records
 * and reach the partition logs with the next metadata image, without a
 * restart. validateOnly checks without committing. BROKER resources:
 * Krill's broker configs are all static, so any change is INVALID_REQUEST
 * ("Cannot update these configs dynamically"), as Kafka answers for
 * read-only broker configs; other resource types are INVALID_REQUEST.
 * The same resource twice in one request is INVALID_REQUEST for each copy.
 *
 * `alterConfigResources` is shared with IncrementalAlterConfigs.
 */
import { alterConfigsRequestMeta } from '../protocol/generated/alter-configs-request.js';
import { alterConfigsResponseMeta } from '../protocol/generated/alter-configs-response.js';
import type { TopicConfigChange } from '../controller/quorum-controller.js';
import type { RequestContext } from './context.js';
import { ErrorCode, KafkaError } from './error-codes.js';
import { registerApi } from './registry.js';

const TOPIC = 2;
const BROKER = 4;

export interface ResourceResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}

export interface ResourceChange {
  resourceType: number;
  resourceName: string;
  /** Turns the request's config entries into a topic change; throws KafkaError for a bad request. */
  topicChange(): TopicConfigChange;
  /** Config names the request touches (for the broker answer). */
  names: string[];
}

function fail(r: ResourceChange, err: KafkaError): ResourceResult {
  return { errorCode: err.errorCode, errorMessage: err.message, resourceType: r.resourceType, resourceName: r.resourceName };
}

function brokerResult(ctx: RequestContext, r: ResourceChange): ResourceResult {
  if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.nodeId)) {
    return fail(r, new KafkaError('INVALID_REQUEST', `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${r.resourceName}`));
  }
  if (r.names.length > 0) return fail(r, new KafkaError('INVALID_REQUEST', `Cannot update these configs dynamically: Set(${r.names.join(', ')})`));
  return { errorCode: 0, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName };
}

/** Answers every resource, in request order; topic changes go to the controller in one call. */
export async function alterConfigResources(ctx: RequestContext, resources: ResourceChange[], validateOnly: boolean): Promise<ResourceResult[]> {
  const seen = new Map<string, number>();
  for (const r of resources) seen.set(`${r.resourceType}:${r.resourceName}`, (seen.get(`${r.resourceType}:${r.resourceName}`) ?? 0) + 1);
  const results: Array<ResourceResult | null> = [];
  const topicChanges: Array<{ at: number; change: TopicConfigChange }> = [];
  for (const r of resources) {
    if ((seen.get(`${r.resourceType}:${r.resourceName}`) ?? 0) > 1) {
      results.push(fail(r, new KafkaError('INVALID_REQUEST', 'Duplicate resource.')));
    } else if (r.resourceType === BROKER) {
      results.push(brokerResult(ctx, r));
    } else if (r.resourceType !== TOPIC) {
      results.push(fail(r, new KafkaError('INVALID_REQUEST', `Unsupported resource type ${r.resourceType}`)));
    } else {
      try {
        topicChanges.push({ at: results.length, change: r.topicChange() });
        results.push(null);
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        results.push(fail(r, err));
      }
    }
  }
  if (topicChanges.length > 0) {
    const answers = await ctx.broker.controller.alterTopicConfigs(topicChanges.map((t) => t.change), validateOnly);
    answers.forEach((a, i) => {
      results[(topicChanges[i] as { at: number }).at] = { errorCode: a.errorCode, errorMessage: a.errorMessage, resourceType: TOPIC, resourceName: a.topic };
    });
  }
  return results.map((r, i) => r ?? { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, resourceType: resources[i]?.resourceType ?? 0, resourceName: resources[i]?.resourceName ?? '' });
}

registerApi({
  request: alterConfigsRequestMeta,
  response: alterConfigsResponseMeta,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const resources = req.resources.map(
      (r): ResourceChange => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        names: r.configs.map((c) => c.name),
        topicChange() {
          const nullValued = r.configs.filter((c) => c.value === null).map((c) => c.name);
          if (nullValued.length > 0) throw new KafkaError('INVALID_REQUEST', `Null value not supported for topic configs: ${nullValued.join(',')}`);
          return { topic: r.resourceName, mode: 'replace', configs: r.configs.map((c) => ({ name: c.name, op: 'set', value: c.value })) };
        },
      }),
    );
    return { throttleTimeMs: 0, responses: await alterConfigResources(ctx, resources, req.validateOnly) };
  },
});
