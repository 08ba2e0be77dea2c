/**
 * DescribeConfigs (key 32), v1-4 (the Kafka 4.0 floor is v1). Topic
 * resources (type 2) list every topic config with its effective value and
 * source; broker resources (type 4, this node's id or "" for the cluster
 * default) list Krill's broker configs. v1+ synonyms show the chain a value
 * falls back along; v3+ adds types and documentation.
 */
import { describeConfigsRequestMeta } from '../protocol/generated/describe-configs-request.js';
import { describeConfigsResponseMeta, type DescribeConfigsResourceResult, type DescribeConfigsResult } from '../protocol/generated/describe-configs-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { BROKER_CONFIG_DEFS } from '../config/broker-config.js';
import { ConfigSource, TOPIC_CONFIG_DEFS, configTypeCode, resolveTopicConfigs } from '../config/topic-config.js';
import type { RequestContext } from './context.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

const TOPIC = 2;
const BROKER = 4;
const SENSITIVE = /password|secret|sasl\.jaas/i;

type Entry = Input<DescribeConfigsResourceResult>;

function topicConfigs(ctx: RequestContext, topic: string, synonyms: boolean, docs: boolean): Entry[] | null {
  const t = ctx.broker.image().topic(topic);
  if (!t) return null;
  const broker = ctx.broker.config;
  return resolveTopicConfigs(t.configs, broker).map((c) => {
    const def = TOPIC_CONFIG_DEFS.get(c.name)!;
    const chain: Array<{ name: string; value: string | null; source: number }> = [];
    if (synonyms) {
      if (t.configs.has(c.name)) chain.push({ name: c.name, value: t.configs.get(c.name)!, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
      if (def.brokerKey && broker.has(def.brokerKey)) chain.push({ name: def.brokerKey, value: broker.raw(def.brokerKey), source: ConfigSource.STATIC_BROKER_CONFIG });
      if (def.brokerKey) chain.push({ name: def.brokerKey, value: BROKER_CONFIG_DEFS.get(def.brokerKey)?.default ?? null, source: ConfigSource.DEFAULT_CONFIG });
    }
    return {
      name: c.name,
      value: c.value,
      readOnly: false,
      configSource: c.source,
      isSensitive: false,
      synonyms: chain,
      configType: configTypeCode(def.type),
      documentation: docs ? (def.brokerKey ? (BROKER_CONFIG_DEFS.get(def.brokerKey)?.doc ?? null) : null) : null,
    };
  });
}

function brokerConfigs(ctx: RequestContext, synonyms: boolean, docs: boolean): Entry[] {
  const cfg = ctx.broker.config;
  const out: Entry[] = [];
  for (const def of BROKER_CONFIG_DEFS.values()) {
    const set = cfg.has(def.name);
    const sensitive = SENSITIVE.test(def.name);
    const source = set ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    out.push({
      name: def.name,
      value: sensitive ? null : cfg.raw(def.name),
      readOnly: true,
      configSource: source,
      isSensitive: sensitive,
      synonyms: synonyms ? [{ name: def.name, value: sensitive ? null : cfg.raw(def.name), source }] : [],
      configType: configTypeCode(def.type),
      documentation: docs ? def.doc : null,
    });
  }
  return out;
}

registerApi({
  request: describeConfigsRequestMeta,
  response: describeConfigsResponseMeta,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, req) {
    const results: Input<DescribeConfigsResult>[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      let configs: Entry[] | null;
      if (r.resourceType === TOPIC) {
        configs = topicConfigs(ctx, r.resourceName, req.includeSynonyms, req.includeDocumentation);
        if (!configs) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist`, configs: [] };
      } else if (r.resourceType === BROKER) {
        if (r.resourceName !== '' && r.resourceName !== String(ctx.broker.nodeId)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${ctx.broker.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
        }
        configs = brokerConfigs(ctx, req.includeSynonyms, req.includeDocumentation);
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
      }
      const keys = r.configurationKeys;
      if (keys && keys.length > 0) configs = configs.filter((c) => keys.includes(c.name!));
      return { ...base, errorCode: 0, errorMessage: null, configs };
    });
    return { results };
  },
});
