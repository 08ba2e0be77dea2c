/**
 * Produce (key 0). Advertised v0-11 like Kafka 4 (librdkafka's feature
 * detection needs v0 listed, KAFKA-18659) but v0-2 (message format v0/v1)
 * are refused: only record batch v2 is accepted.
 *
 * Batches stay bytes: each partition's record set is checked (magic, sizes,
 * CRC-32C, counts, max.message.bytes) and appended; the log assigns offsets
 * by rewriting batch headers. acks must be -1, 0 or 1 (INVALID_REQUIRED_ACKS).
 * acks=0 never answers; if any partition failed, the connection is closed
 * so the client notices, as Kafka does. Partition errors from v10 carry the
 * current leader and the response its endpoint (KIP-951).
 *
 * acks=-1 waits until the ISR has the batch (replica-manager.ts) for up to
 * the request's timeout_ms: REQUEST_TIMED_OUT after it,
 * NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas before the
 * append, NOT_ENOUGH_REPLICAS_AFTER_APPEND when it shrank below it after.
 *
 * Pipelined (server/request-pipeline.ts): ReplicaManager.append validates
 * and queues each append synchronously (the log assigns offsets before it
 * returns), so once every partition's append is called the request is
 * sequenced and the next Produce on the connection may start while these
 * writes (and acks=-1 waits) complete. Responses still go out in order.
 */
import { produceRequestMeta } from '../protocol/generated/produce-request.js';
import { produceResponseMeta, type PartitionProduceResponse, type TopicProduceResponse } from '../protocol/generated/produce-response.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode, KafkaError, toErrorCode, typedKafkaError } from './error-codes.js';
import { endpointOf, type Endpoint } from './endpoints.js';
import { CLOSE_CONNECTION, NO_RESPONSE, registerApi } from './registry.js';

registerApi({
  request: produceRequestMeta,
  response: produceResponseMeta,
  minVersion: 0,
  acceptFrom: 3,
  maxVersion: 11,
  pipelined: true,
  async handle(ctx, req) {
    const acks = req.acks;
    const replicas = ctx.broker.replicas;
    const pending: Array<Promise<void>> = [];
    let failed = false;
    const leaders = new Set<number>();
    const responses: Input<TopicProduceResponse>[] = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((pd) => {
        const out: Input<PartitionProduceResponse> = { index: pd.index, errorCode: 0, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n };
        const fail = (err: unknown): void => {
          failed = true;
          out.errorCode = toErrorCode(err);
          const typed = err instanceof KafkaError || typedKafkaError(err) !== null;
          out.errorMessage = typed && err instanceof Error && err.message !== (err as { kafkaError?: string }).kafkaError ? err.message : null;
          // Per-record errors (KIP-467), e.g. keyless records on a compacted topic.
          const recordErrors = (err as { recordErrors?: unknown }).recordErrors;
          if (Array.isArray(recordErrors)) out.recordErrors = recordErrors as Input<PartitionProduceResponse>['recordErrors'];
          if (!typed || out.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR || out.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) {
            ctx.broker.log.error({ err, topic: t.name, partition: pd.index }, 'produce failed');
          }
          if (out.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER) {
            const p = ctx.broker.image().partition(t.name, pd.index);
            if (p) out.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
            if (p && p.leader >= 0) leaders.add(p.leader);
          }
        };
        if (acks !== -1 && acks !== 0 && acks !== 1) {
          fail(new KafkaError('INVALID_REQUIRED_ACKS'));
          return out;
        }
        if (pd.records === null || pd.records.length === 0) {
          fail(new KafkaError('INVALID_RECORD', 'no records in the request'));
          return out;
        }
        if (pd.records.length > 12 && 12 + pd.records.readInt32BE(8) < pd.records.length) { fail(new KafkaError('INVALID_RECORD', 'Produce v3+ allows exactly one record batch per partition')); return out; }
        if (ctx.apiVersion < 7 && pd.records.length > 22 && (pd.records.readInt16BE(21) & 7) === 4) { fail(new KafkaError('UNSUPPORTED_COMPRESSION_TYPE', 'zstd needs Produce v7 or later (KIP-110)')); return out; }
        pending.push(
          replicas.append(t.name, pd.index, pd.records, acks, 'client', Math.max(0, req.timeoutMs)).then((r) => {
            out.baseOffset = BigInt(r.baseOffset);
            out.logAppendTimeMs = BigInt(r.logAppendTimeMs);
            out.logStartOffset = BigInt(r.logStartOffset);
          }, fail),
        );
        return out;
      }),
    }));
    ctx.sequenced(); // every append above is queued: later produces land after these
    await Promise.all(pending);
    if (acks === 0) return failed ? CLOSE_CONNECTION : NO_RESPONSE;
    const image = ctx.broker.image();
    const nodeEndpoints: Endpoint[] = ctx.apiVersion >= 10 ? [...leaders].flatMap((id) => {
      const b = image.brokers.get(id);
      const e = b && endpointOf(b, ctx.listenerName);
      return e ? [e] : [];
    }) : [];
    return { responses, nodeEndpoints };
  },
});
