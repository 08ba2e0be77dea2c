/**
 * Replication across real processes (`npm run test:replication`): a 3-node
 * cluster of `krill start` processes (combined roles, Raft controller
 * quorum), RF=3, min.insync.replicas=2. An idempotent acks=all kafkajs
 * producer writes continuously while a chaos loop kills a random node with
 * SIGKILL, restarts it, waits for the ISR to be whole again, and repeats
 * (PROCESS_KILLS, default 20). At the end every acknowledged record is
 * present exactly once, in order, and the replicas' logs (read from disk
 * after a final SIGKILL of everyone) are identical up to the high
 * watermark; records whose send failed appear at most once.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import pino from 'pino';
import { PartitionLog } from '../../src/log/partition-log.js';
import { resolveLogConfig } from '../../src/log/log-config.js';
import { partitionDirName } from '../../src/log/log-manager.js';
import { RawClient } from '../helpers/raw-client.js';
import '../helpers/kafkajs.js';
import { ProcessCluster } from './cluster-processes.js';
import { values, waitFor } from './replication-helpers.js';

const KILLS = Number(process.env.PROCESS_KILLS ?? 20);
const TOPIC = 'process-chaos';
const PARTITIONS = 2;

let cluster: ProcessCluster | null = null;

afterEach(async () => {
  await cluster?.stopAll();
  cluster?.cleanup();
  cluster = null;
});

interface PartitionState {
  leader: number;
  isr: number[];
}

async function partitions(c: ProcessCluster): Promise<PartitionState[] | null> {
  for (const id of c.ids.filter((i) => c.running(i))) {
    let rc: RawClient | null = null;
    try {
      rc = await RawClient.connect(c.clientAddress(id), { timeoutMs: 1000 });
      const r = await rc.request(3, 12, { topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: TOPIC }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { timeoutMs: 3000 });
      const t = r.topics[0];
      if (!t || t.errorCode !== 0) continue;
      return t.partitions.map((p) => ({ leader: p.leaderId, isr: p.isrNodes }));
    } catch {
      // try the next node
    } finally {
      rc?.close();
    }
  }
  return null;
}

/** The high watermark of a partition, from its leader (ListOffsets latest). */
async function highWatermark(c: ProcessCluster, leader: number, partition: number): Promise<number> {
  const rc = await RawClient.connect(c.clientAddress(leader), { timeoutMs: 2000 });
  try {
    const r = await rc.request(2, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    return Number(r.topics[0]!.partitions[0]!.offset);
  } finally {
    rc.close();
  }
}

async function logOnDisk(dir: string, partition: number): Promise<Array<[number, string]>> {
  const log = await PartitionLog.open(join(dir, partitionDirName(TOPIC, partition)), resolveLogConfig(), pino({ level: 'silent' }));
  try {
    const out: Array<[number, string]> = [];
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20, { minOneBatch: true });
      if (records.length === 0) break;
      const vs = values(records).filter(([o]) => o >= offset);
      out.push(...vs);
      offset = (vs.at(-1)?.[0] ?? offset) + 1;
    }
    return out;
  } finally {
    await log.close();
  }
}

describe('replication across processes', () => {
  it(`keeps every acknowledged write through ${KILLS} SIGKILLs`, async () => {
    const c = (cluster = await ProcessCluster.combined(3, {
      'replica.fetch.backoff.ms': 100,
      'replica.fetch.wait.max.ms': 200,
      'replica.lag.time.max.ms': 5000,
      'krill.fsync.before.ack': 'false',
    }));
    c.startAll();
    await c.waitForLeader();
    for (const id of c.ids) await c.waitForMetadata(id, [], c.ids);
    const kafka = new Kafka({ clientId: 'process-chaos', brokers: c.ids.map((id) => c.clientAddress(id)), logLevel: logLevel.NOTHING, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 2000 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }] });
    await admin.disconnect();
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 50, initialRetryTime: 100, maxRetryTime: 2000 } });
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
          await producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: [{ partition, value }] });
          acked.set(partition, [...(acked.get(partition) ?? []), value]);
        } catch {
          failed.add(value);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    })();
    const whole = async (): Promise<boolean> => {
      const ps = await partitions(c);
      return ps !== null && ps.length === PARTITIONS && ps.every((p) => p.leader >= 0 && p.isr.length === 3);
    };

    const ackedCount = (): number => [...acked.values()].reduce((n, vs) => n + vs.length, 0);
    for (let k = 0; k < KILLS; k++) {
      // Between kills the cluster must be whole and the producer moving again.
      const before = ackedCount();
      await waitFor(whole, `a whole ISR before kill ${k}`, 120_000);
      await waitFor(() => ackedCount() >= before + 20, `writes acknowledged again before kill ${k}`, 120_000);
      const victim = 1 + Math.floor(Math.random() * 3);
      await c.kill(victim);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
      c.start(victim);
      await c.waitForMetadata(victim, [TOPIC], undefined, 120_000);
      if (process.env.CHAOS_DEBUG) console.log(`kill ${k}: node ${victim}; acked ${ackedCount()}, failed ${failed.size}`);
    }
    await waitFor(whole, 'a whole ISR at the end', 120_000);
    stop = true;
    await writer;
    await producer.disconnect();

    // Quiet: every replica catches up; the high watermark then covers everything acknowledged.
    const ps = (await partitions(c))!;
    const hws = await Promise.all(ps.map((p, i) => highWatermark(c, p.leader, i)));
    await new Promise((r) => setTimeout(r, 2000));
    await c.stopAll();
    for (let p = 0; p < PARTITIONS; p++) {
      const logs = await Promise.all(c.ids.map((id) => logOnDisk(join(c.dir, `node-${id}`), p)));
      const upToHw = logs.map((l) => l.filter(([o]) => o < hws[p]!).map(([o, v]) => `${o}:${v}`));
      for (const l of upToHw) expect(l).toEqual(upToHw[0]);
      const log = upToHw[0]!.map((x) => x.slice(x.indexOf(':') + 1));
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
