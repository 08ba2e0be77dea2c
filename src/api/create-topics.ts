/**
 * CreateTopics (key 19), v2-7 (the Kafka 4.0 floor is v2). numPartitions and
 * replicationFactor of -1 take num.partitions and default.replication.factor
 * (v4+ clients send that); a manual assignment excludes both. validateOnly
 * checks without creating. v5+ answers with the partition count,
 * replication factor and the effective configs, v7+ with the topic id.
 */
import { createTopicsRequestMeta } from '../protocol/generated/create-topics-request.js';
import { createTopicsResponseMeta } from '../protocol/generated/create-topics-response.js';
import { resolveTopicConfigs } from '../config/topic-config.js';
import { registerApi } from './registry.js';

registerApi({
  request: createTopicsRequestMeta,
  response: createTopicsResponseMeta,
  minVersion: 2,
  maxVersion: 7,
  async handle(ctx, req) {
    const results = await ctx.broker.controller.createTopics(
      req.topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments,
        configs: t.configs,
      })),
      req.validateOnly,
    );
    return {
      topics: results.map((r, i) => {
        const own = new Map(req.topics[i].configs.filter((c) => c.value !== null).map((c) => [c.name, c.value!] as const));
        return {
          name: r.name,
          topicId: r.topicId,
          errorCode: r.errorCode,
          errorMessage: r.errorMessage,
          numPartitions: r.numPartitions,
          replicationFactor: r.replicationFactor,
          configs:
            r.errorCode === 0
              ? resolveTopicConfigs(own, ctx.broker.config).map((c) => ({
                  name: c.name,
                  value: c.value,
                  readOnly: false,
                  configSource: c.source,
                  isSensitive: false,
                }))
              : null,
        };
      }),
    };
  },
});
