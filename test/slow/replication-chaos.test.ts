/**
 * Fault injection on an in-process 3-node cluster (RF=3,
 * min.insync.replicas=2), `npm run test:replication`: an idempotent acks=all
 * kafkajs producer writes continuously while a chaos loop stops a random
 * broker (alternately crashing it, i.e. no controlled shutdown and then
 * fenced like a lost session, and stopping it cleanly), restarts it, waits
 * for the ISR to be whole again, and repeats (CHAOS_KILLS, default 20).
 * At the end every acknowledged record is present exactly once, in order,
 * on every replica; records whose send failed appear at most once; and the
 * replicas' logs are identical.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startCluster, type RunningCluster } from '../../src/index.js';
import '../helpers/kafkajs.js';
import { leaderOf, replicaLog, waitFor } from './replication-helpers.js';

const KILLS = Number(process.env.CHAOS_KILLS ?? 20);
const TOPIC = 'chaos';
const PARTITIONS = 2;

let cluster: RunningCluster | null = null;

afterAll(async () => {
  await cluster?.stop();
});

describe('replication chaos', () => {
  it(`keeps every acknowledged write through ${KILLS} broker kills`, async () => {
    const c = (cluster = await startCluster({
      nodes: 3,
      config: { 'replica.fetch.backoff.ms': 50, 'replica.fetch.wait.max.ms': 200, 'replica.lag.time.max.ms': 3000, 'krill.fsync.before.ack': false },
    }));
    const kafka = new Kafka({ clientId: 'chaos', brokers: c.bootstrap.split(','), logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 1000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 30, initialRetryTime: 50, maxRetryTime: 1000 } });
    await producer.connect();

    const acked = new Map<number, string[]>();
    const failed = new Set<string>();
    let stop = false;
    let seq = 0;
    const writer = (async () => {
      while (!stop) {
        const partition = seq % PARTITIONS;
        const value = `v${seq++}`;
        try {
          await producer.send({ topic: TOPIC, acks: -1, timeout: 5000, messages: [{ partition, value }] });
          acked.set(partition, [...(acked.get(partition) ?? []), value]);
        } catch {
          failed.add(value);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    })();

    const isrWhole = (): boolean => {
      const n = [...c.nodes.values()][0];
      return n !== undefined && c.nodes.size === 3 && [...Array(PARTITIONS).keys()].every((p) => n.image().partition(TOPIC, p)?.isr.length === 3);
    };
    for (let k = 0; k < KILLS; k++) {
      const t0 = Date.now();
      await waitFor(isrWhole, `a whole ISR before kill ${k}`, 60_000);
      if (process.env.CHAOS_DEBUG) console.log(`kill ${k}: ISR whole after ${Date.now() - t0} ms`, [...acked.values()].flat().length, failed.size);
      const victim = k % 3 === 0 ? leaderOf(c, TOPIC, k % PARTITIONS) : 1 + Math.floor(Math.random() * 3);
      await c.stopNode(victim, { controlled: k % 2 === 1 });
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 400));
      await c.startNode(victim);
    }
    await waitFor(isrWhole, 'a whole ISR at the end', 60_000);
    stop = true;
    await writer;
    await producer.disconnect();

    for (let p = 0; p < PARTITIONS; p++) {
      const leader = leaderOf(c, TOPIC, p);
      const hw = c.node(leader).replicas.partition(TOPIC, p)!.highWatermark;
      await waitFor(async () => {
        const want = JSON.stringify(await replicaLog(c.node(leader), TOPIC, p));
        for (const id of [1, 2, 3]) if (JSON.stringify(await replicaLog(c.node(id), TOPIC, p)) !== want) return false;
        return true;
      }, `identical replicas of partition ${p}`);
      const log = (await replicaLog(c.node(leader), TOPIC, p)).map(([, v]) => v);
      expect(log.length).toBeLessThanOrEqual(hw + 1000);
      const counts = new Map<string, number>();
      for (const v of log) counts.set(v, (counts.get(v) ?? 0) + 1);
      for (const [v, n] of counts) expect(n, `${v} stored ${n} times`).toBe(1);
      const ackedHere = acked.get(p) ?? [];
      const positions = ackedHere.map((v) => log.indexOf(v));
      expect(positions.filter((i) => i < 0), 'acknowledged records missing').toEqual([]);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const v of log) expect(ackedHere.includes(v) || failed.has(v), `${v} neither acknowledged nor failed`).toBe(true);
    }
    expect([...acked.values()].flat().length).toBeGreaterThan(KILLS);
  });
});
