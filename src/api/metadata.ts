/**
 * Metadata (key 3), v0-12. v0: an empty topic list means all topics; v1+:
 * null means all, empty means none. v4+ carries allowAutoTopicCreation
 * (earlier versions always allow it), v7+ leader epochs, v8+ authorized
 * operations, v10+ topic ids (a topic may be asked for by id alone).
 * Unknown topics are created when auto.create.topics.enable and the request
 * allow it; the answer waits for the creation to commit, so the client sees
 * the new topic's leaders at once.
 */
import { metadataRequestMeta } from '../protocol/generated/metadata-request.js';
import { metadataResponseMeta, type MetadataResponseTopic } from '../protocol/generated/metadata-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ZERO_UUID } from '../protocol/primitives/index.js';
import type { MetadataImage, TopicImage } from '../controller/metadata-image.js';
import { validateTopicName } from '../controller/topic-validation.js';
import { ErrorCode, KafkaError } from './error-codes.js';
import { INTERNAL_TOPICS, clientControllerId, liveEndpoints } from './endpoints.js';
import { registerApi } from './registry.js';

/** Topic operations granted without ACLs: READ..DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS. */
const ALL_TOPIC_OPS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((m, b) => m | (1 << b), 0);
const ALL_CLUSTER_OPS = [4, 5, 7, 8, 9, 10, 11, 12].reduce((m, b) => m | (1 << b), 0);
const OPS_NOT_REQUESTED = -2147483648;

/** Replicas on brokers that are fenced or gone (KRaft's offline replicas). */
function offlineReplicas(replicas: readonly number[], image: MetadataImage | undefined): number[] {
  if (!image) return [];
  return replicas.filter((r) => {
    const b = image.brokers.get(r);
    return !b || b.fenced;
  });
}

export function topicMetadata(t: TopicImage, withOps: boolean, image?: MetadataImage): Input<MetadataResponseTopic> {
  return {
    errorCode: 0,
    name: t.name,
    topicId: t.id,
    isInternal: INTERNAL_TOPICS.has(t.name),
    topicAuthorizedOperations: withOps ? ALL_TOPIC_OPS : OPS_NOT_REQUESTED,
    partitions: t.partitions.map((p) => ({
      errorCode: p.leader < 0 ? ErrorCode.LEADER_NOT_AVAILABLE : 0,
      partitionIndex: p.partition,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: offlineReplicas(p.replicas, image),
    })),
  };
}

registerApi({
  request: metadataRequestMeta,
  response: metadataResponseMeta,
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, req) {
    const v = ctx.apiVersion;
    const withOps = req.includeTopicAuthorizedOperations;
    let image: MetadataImage = ctx.broker.image();
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    const topics: Input<MetadataResponseTopic>[] = [];
    if (all) {
      for (const t of image.topics.values()) topics.push(topicMetadata(t, withOps, image));
    } else {
      const allowAuto = (v < 4 || req.allowAutoTopicCreation) && ctx.broker.config.bool('auto.create.topics.enable');
      const missing = req.topics!.filter((t) => t.name !== null && !image.topic(t.name)).map((t) => t.name!);
      const creatable = missing.filter((n) => {
        try {
          validateTopicName(n);
          return !INTERNAL_TOPICS.has(n);
        } catch {
          return false;
        }
      });
      if (allowAuto && creatable.length > 0) {
        await ctx.broker.autoCreateTopics([...new Set(creatable)]);
        image = ctx.broker.image();
      }
      for (const rt of req.topics!) {
        if (rt.name === null) {
          const t = image.topicsById.get(rt.topicId);
          topics.push(t ? topicMetadata(t, withOps, image) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: v >= 12 ? null : '', topicId: rt.topicId, partitions: [] });
          continue;
        }
        const t = image.topic(rt.name);
        if (t) {
          topics.push(topicMetadata(t, withOps, image));
          continue;
        }
        let errorCode: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        try {
          validateTopicName(rt.name);
        } catch (err) {
          if (err instanceof KafkaError) errorCode = err.errorCode;
        }
        topics.push({ errorCode, name: rt.name, topicId: ZERO_UUID, partitions: [] });
      }
    }
    return {
      brokers: liveEndpoints(image, ctx.listenerName),
      clusterId: ctx.broker.clusterId,
      controllerId: clientControllerId(image, ctx.broker.controller.leaderId, ctx.broker.nodeId),
      topics,
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? ALL_CLUSTER_OPS : OPS_NOT_REQUESTED,
    };
  },
});
