/**
 * The acks=all wait (Kafka's DelayedProduce), parked in the purgatory under
 * its partition until the partition's high watermark reaches the offset
 * after the batch. It completes with:
 * - success, when the high watermark got there with the (maximal) ISR at
 *   least min.insync.replicas;
 * - NOT_ENOUGH_REPLICAS_AFTER_APPEND, when it got there but the ISR had
 *   shrunk under min.insync.replicas;
 * - NOT_LEADER_OR_FOLLOWER, when leadership moved (or moved and came back:
 *   another epoch may have truncated the batch);
 * - REQUEST_TIMED_OUT at the produce request's deadline.
 * Whoever moves the high watermark, the ISR or the role calls
 * `purgatory.checkAndComplete(partition)`.
 */
import { KafkaError } from '../api/error-codes.js';
import type { Purgatory } from './delayed-ops.js';
import { acksVerdict } from './isr-policy.js';
import type { Partition } from './partition.js';

export function awaitIsr(purgatory: Purgatory, p: Partition, leaderEpoch: number, requiredOffset: number, minIsr: () => number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    purgatory.tryCompleteElseWatch(
      {
        tryComplete: () => {
          if (!p.isLeader || p.leaderEpoch !== leaderEpoch) {
            reject(new KafkaError('NOT_LEADER_OR_FOLLOWER', `leadership of ${p.topic}-${p.index} moved while waiting for the ISR`));
            return true;
          }
          const verdict = acksVerdict(p.highWatermark, requiredOffset, p.effectiveMinIsr(minIsr()), p.maximalIsr.length);
          if (verdict === 'wait') return false;
          if (verdict === 'ok') resolve();
          else reject(new KafkaError(verdict));
          return true;
        },
        onExpire: () => reject(new KafkaError('REQUEST_TIMED_OUT', `the ISR of ${p.topic}-${p.index} did not reach offset ${requiredOffset} within ${timeoutMs} ms`)),
      },
      [p],
      timeoutMs,
    );
  });
}
