/**
 * Static membership (KIP-345) with real clients: a @platformatic/kafka
 * consumer with a group.instance.id runs in a child process next to a
 * kafkajs consumer; the static member is killed (SIGKILL) and started
 * again with the same instance id within its session timeout. It gets its
 * old partitions back under a new member id, and the group does not
 * rebalance: the kafkajs member never rejoins and the generation stays.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol, PartitionAssigners, type Kafka, type PartitionAssigner } from 'kafkajs';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { kafkaClient } from '../helpers/kafkajs.js';

const TOPIC = 'static-events';
const GROUP = 'statics';
const PARTITIONS = 4;
const SESSION_MS = 8000;

/** kafkajs's round robin under the protocol name other clients use, so both clients share a protocol. */
const roundrobin: PartitionAssigner = (config) => ({ ...PartitionAssigners.roundRobin(config), name: 'roundrobin' });

let krill: RunningKrill;
let kafka: Kafka;
const children: ChildProcess[] = [];

interface StaticJoin {
  memberId: string;
  generationId: number;
  partitions: number[];
}

/** Starts the static member; resolves with what its first join gave it. */
function startStaticMember(): Promise<StaticJoin> {
  const code = `
    import { Consumer, stringDeserializers } from '@platformatic/kafka';
    const session = Number(process.env.SESSION_MS);
    const consumer = new Consumer({
      groupId: process.env.GROUP, clientId: 'static-child', bootstrapBrokers: [process.env.BOOTSTRAP],
      groupInstanceId: 'static-instance-1', sessionTimeout: session, heartbeatInterval: 500, rebalanceTimeout: 10000,
      deserializers: stringDeserializers, maxWaitTime: 200,
    });
    consumer.on('consumer:group:join', (e) => {
      const partitions = (e.assignments ?? []).flatMap((a) => a.partitions);
      process.stdout.write(JSON.stringify({ memberId: e.memberId, generationId: e.generationId, partitions }) + '\\n');
    });
    await consumer.consume({ topics: [process.env.TOPIC], mode: 'earliest', autocommit: true, sessionTimeout: session, heartbeatInterval: 500 });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: process.cwd(),
    env: { ...process.env, BOOTSTRAP: krill.bootstrap, GROUP, TOPIC, SESSION_MS: String(SESSION_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`static member exited with ${c}`)));
    lines.once('line', (line) => {
      const j = JSON.parse(line) as StaticJoin;
      resolve({ ...j, partitions: [...j.partitions].sort((a, b) => a - b) });
    });
  });
}

async function describeGroup() {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([GROUP]);
    return groups[0];
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  krill = await startKrill({ config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 3 } });
  kafka = kafkaClient(krill.bootstrap, 'static-e2e');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();
});

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await krill?.stop();
});

describe('static membership', () => {
  it('lets a static member restart within its session without a rebalance', async () => {
    const dynamic = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 300, maxWaitTimeInMs: 200, partitionAssigners: [roundrobin] });
    const dynamicJoins: number[] = [];
    dynamic.on(dynamic.events.GROUP_JOIN, (e) => dynamicJoins.push(e.payload.groupId === GROUP ? 1 : 0));
    await dynamic.connect();
    await dynamic.subscribe({ topic: TOPIC, fromBeginning: true });
    await dynamic.run({ eachMessage: async () => undefined });
    const first = await startStaticMember();
    const stable = async (): Promise<boolean> => {
      const g = await describeGroup();
      return g.state === 'Stable' && g.members.length === 2 && g.members.every((m) => m.memberAssignment.length > 0);
    };
    for (let i = 0; !(await stable()); i++) {
      if (i > 200) throw new Error('the group never stabilized with both members');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(first.partitions.length).toBeGreaterThan(0);
    expect(first.memberId).toMatch(/^static-instance-1-/);
    const joinsBefore = dynamicJoins.length;
    const before = await describeGroup();

    // Crash the static member and start it again well within its session timeout.
    children[0].kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const second = await startStaticMember();
    expect(second.memberId).not.toBe(first.memberId);
    expect(second.memberId).toMatch(/^static-instance-1-/);
    expect(second.generationId).toBe(first.generationId);
    expect(second.partitions).toEqual(first.partitions);

    // Past the old member's session timeout: still no rebalance, the old id is simply gone.
    await new Promise((r) => setTimeout(r, SESSION_MS + 1000));
    const after = await describeGroup();
    expect(after.state).toBe('Stable');
    expect(after.members.map((m) => m.memberId).sort()).toEqual(
      before.members.map((m) => (m.memberId === first.memberId ? second.memberId : m.memberId)).sort(),
    );
    const staticMember = after.members.find((m) => m.memberId === second.memberId)!;
    const decoded = AssignerProtocol.MemberAssignment.decode(staticMember.memberAssignment);
    expect([...(decoded?.assignment[TOPIC] ?? [])].sort((a, b) => a - b)).toEqual(first.partitions);
    expect(dynamicJoins.length, 'the dynamic member never had to rejoin').toBe(joinsBefore);
    await dynamic.disconnect();
  }, 60_000);
});
