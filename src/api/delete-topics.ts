/**
 * DeleteTopics (key 20), v1-6 (the Kafka 4.0 floor is v1). v6+ names topics
 * by name or by id; an unknown id is UNKNOWN_TOPIC_ID. The answer comes after
 * the removal is committed; logs are deleted as the new image is applied.
 */
import { deleteTopicsRequestMeta } from '../protocol/generated/delete-topics-request.js';
import { deleteTopicsResponseMeta, type DeletableTopicResult } from '../protocol/generated/delete-topics-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode } from './error-codes.js';
import { registerApi } from './registry.js';

registerApi({
  request: deleteTopicsRequestMeta,
  response: deleteTopicsResponseMeta,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, req) {
    const image = ctx.broker.image();
    const names: string[] = [];
    const out: Input<DeletableTopicResult>[] = [];
    const wanted = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: '' }));
    const slots: Array<number | null> = [];
    for (const t of wanted) {
      if (t.name === null) {
        const found = image.topicsById.get(t.topicId);
        if (!found) {
          out.push({ name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' });
          slots.push(null);
          continue;
        }
        names.push(found.name);
      } else {
        names.push(t.name);
      }
      out.push({});
      slots.push(names.length - 1);
    }
    const results = await ctx.broker.controller.deleteTopics(names);
    slots.forEach((s, i) => {
      if (s !== null) out[i] = results[s];
    });
    return { responses: out };
  },
});
