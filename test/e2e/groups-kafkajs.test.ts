/**
 * Issue 4's consumer group scenario with stock kafkajs consumers over TCP:
 * three consumers of one group share a 12-partition topic; one stops
 * cleanly (LeaveGroup) while messages keep arriving, and every message so
 * far is consumed exactly once; one is killed with SIGKILL (a child
 * process: no LeaveGroup, its sockets just die), its session times out,
 * its partitions move to the survivor, and every message is consumed at
 * least once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';

const TOPIC = 'shared-events';
const GROUP = 'sharers';
const PARTITIONS = 12;
const CONSUMER_OPTS = { groupId: GROUP, sessionTimeout: 3000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 200 };

let krill: RunningKrill;
let kafka: Kafka;
let producer: Producer;
let child: ChildProcess | null = null;
const running: Consumer[] = [];

/** How often each (partition, offset) was delivered, and which partitions each consumer got messages from. */
const deliveries = new Map<string, number>();
const partitionsSeenBy = new Map<string, Set<number>>();
let produced = 0;

function deliver(consumer: string, partition: number, offset: string): void {
  const key = `${partition}:${offset}`;
  deliveries.set(key, (deliveries.get(key) ?? 0) + 1);
  let seen = partitionsSeenBy.get(consumer);
  if (!seen) partitionsSeenBy.set(consumer, (seen = new Set()));
  seen.add(partition);
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function produce(perPartition: number): Promise<void> {
  const messages = [];
  for (let p = 0; p < PARTITIONS; p++) {
    for (let i = 0; i < perPartition; i++) messages.push({ partition: p, key: `k${produced + messages.length}`, value: 'v' });
  }
  await producer.send({ topic: TOPIC, messages, acks: -1 });
  produced += messages.length;
}

async function startConsumer(name: string): Promise<Consumer> {
  const c = kafka.consumer(CONSUMER_OPTS);
  await c.connect();
  await c.subscribe({ topic: TOPIC, fromBeginning: true });
  await c.run({ eachMessage: async ({ partition, message }) => deliver(name, partition, message.offset) });
  running.push(c);
  return c;
}

/** A kafkajs consumer in another process, so that it can be killed without leaving the group. */
function startChildConsumer(name: string): Promise<void> {
  const code = `
    import kafkajs from 'kafkajs';
    const { Kafka, logLevel } = kafkajs;
    const kafka = new Kafka({ clientId: 'child', brokers: [process.env.BOOTSTRAP], logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer(JSON.parse(process.env.CONSUMER_OPTS));
    await consumer.connect();
    await consumer.subscribe({ topic: process.env.TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => {
      process.stdout.write(JSON.stringify({ p: partition, o: message.offset }) + '\\n');
    } });
    process.stdout.write(JSON.stringify({ running: true }) + '\\n');
  `;
  child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: process.cwd(),
    env: { ...process.env, BOOTSTRAP: krill.bootstrap, TOPIC, CONSUMER_OPTS: JSON.stringify(CONSUMER_OPTS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child!.once('exit', (code) => reject(new Error(`child consumer exited early with ${code}`)));
    lines.on('line', (line) => {
      const m = JSON.parse(line) as { p?: number; o?: string; running?: boolean };
      if (m.running) resolve();
      else deliver(name, m.p!, m.o!);
    });
  });
}

interface Membership {
  state: string;
  assignments: number[][];
}

async function membership(): Promise<Membership> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    const g = groups[0];
    const assignments = g.members.map((m) => {
      const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
      return [...(decoded?.assignment[TOPIC] ?? [])].sort((a, b) => a - b);
    });
    return { state: g.state, assignments };
  } finally {
    await admin.disconnect();
  }
}

/** Stable with `members` members whose assignments split all partitions between them, each getting some. */
async function waitForShares(members: number): Promise<number[][]> {
  let last: Membership = { state: '', assignments: [] };
  await waitFor(`a stable group of ${members} sharing ${PARTITIONS} partitions (last: ${JSON.stringify(last)})`, async () => {
    last = await membership();
    const all = last.assignments.flat().sort((a, b) => a - b);
    return (
      last.state === 'Stable' &&
      last.assignments.length === members &&
      last.assignments.every((a) => a.length > 0) &&
      all.length === PARTITIONS &&
      all.every((p, i) => p === i)
    );
  });
  return last.assignments;
}

const allDelivered = (): boolean => deliveries.size === produced;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 10 },
  });
  kafka = kafkaClient(krill.bootstrap, 'groups-e2e');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  child?.kill('SIGKILL');
  for (const c of running) await c.disconnect().catch(() => undefined);
  await producer?.disconnect().catch(() => undefined);
  await krill?.stop();
});

describe('kafkajs consumers in one group', () => {
  it('share the partitions, survive a clean leave exactly once and a kill at least once', async () => {
    const a = await startConsumer('a');
    await startConsumer('b');
    await startChildConsumer('c');
    const shares = await waitForShares(3);
    expect(shares.map((s) => s.length).sort()).toEqual([4, 4, 4]);

    await produce(50);
    await waitFor('phase 1 consumed', allDelivered);
    for (const name of ['a', 'b', 'c']) expect(partitionsSeenBy.get(name)?.size, `${name} got a share`).toBe(4);

    // Clean stop of A while messages keep coming: its partitions move over with their committed offsets.
    let producing = true;
    const background = (async () => {
      while (producing) {
        await produce(2);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await a.disconnect();
    running.splice(running.indexOf(a), 1);
    await waitForShares(2);
    await new Promise((r) => setTimeout(r, 300));
    producing = false;
    await background;
    await waitFor('phase 2 consumed', allDelivered);
    const duplicates = [...deliveries].filter(([, n]) => n > 1);
    expect(duplicates, 'exactly once across the clean rebalance').toEqual([]);

    // Kill C: no LeaveGroup; after its 3 s session the survivor owns everything.
    child!.kill('SIGKILL');
    const killedAt = Date.now();
    await produce(20);
    expect((await membership()).assignments, 'a dead member stays until its session times out').toHaveLength(2);
    const [survivor] = await waitForShares(1);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2500);
    expect(survivor).toHaveLength(PARTITIONS);
    await produce(20);
    await waitFor('phase 3 consumed at least once', allDelivered);
    expect(deliveries.size).toBe(produced);
    expect(partitionsSeenBy.get('b')!.size).toBe(PARTITIONS);
  }, 90_000);
});
