/**
 * confluent-kafka-python (librdkafka) transactions against Krill (issue 5):
 * init_transactions, commit and abort as read_committed and
 * read_uncommitted consumers see them, a consume-transform-produce step
 * with send_offsets_to_transaction from a group member (TxnOffsetCommit v3
 * with the member's generation), and fencing of a producer by a second one
 * with the same transactional.id. Needs python3-confluent-kafka for
 * /usr/bin/python3.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { hasPythonModule, runPythonScript } from '../compat/helpers/python.js';

const HAS_CONFLUENT = hasPythonModule('confluent_kafka');

let krill: RunningKrill;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'group.initial.rebalance.delay.ms': 0, 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3, 'num.partitions': 2 },
  });
});

afterAll(async () => {
  await krill?.stop();
});

function runPython<T>(script: string, timeoutMs = 50_000): Promise<T> {
  return runPythonScript<T>(script, krill.bootstrap, timeoutMs);
}

const SCRIPT = `
import json, os, time
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition
B = os.environ['BOOTSTRAP']
result = {}

p = Producer({'bootstrap.servers': B, 'transactional.id': 'py-txn'})
p.init_transactions(20)
p.begin_transaction()
for i in range(4):
    p.produce('py-txn-out', value='c%d' % i)
p.commit_transaction(20)
p.begin_transaction()
for i in range(3):
    p.produce('py-txn-out', value='a%d' % i)
p.flush(20)  # delivered, so the abort has something to abort
p.abort_transaction(20)

# Consume-transform-produce: input read in a group, output and offsets in one transaction.
plain = Producer({'bootstrap.servers': B})
for i in range(6):
    plain.produce('py-txn-in', value='in%d' % i)
plain.flush(20)
c = Consumer({'bootstrap.servers': B, 'group.id': 'py-eos', 'auto.offset.reset': 'earliest', 'enable.auto.commit': False,
              'isolation.level': 'read_committed', 'session.timeout.ms': 6000})
c.subscribe(['py-txn-in'])
got = []
deadline = time.time() + 20
while len(got) < 6 and time.time() < deadline:
    m = c.poll(0.2)
    if m is not None and not m.error():
        got.append(m.value().decode())
p.begin_transaction()
for v in got:
    p.produce('py-txn-out', value='out-' + v)
p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 20)
p.commit_transaction(20)
committed = c.committed(c.assignment(), 10)
result['committed_offsets'] = sum(tp.offset for tp in committed if tp.offset >= 0)
c.close()

# Fencing: a second producer with the same transactional.id.
p.begin_transaction()
p.produce('py-txn-out', value='zombie')
p.flush(20)
p2 = Producer({'bootstrap.servers': B, 'transactional.id': 'py-txn'})
p2.init_transactions(20)
try:
    p.commit_transaction(10)
    result['zombie_committed'] = True
except KafkaException as e:
    result['zombie_committed'] = False
    result['zombie_fatal'] = e.args[0].fatal()
p2.begin_transaction()
p2.produce('py-txn-out', value='fresh')
p2.commit_transaction(20)

def read(isolation, want):
    r = Consumer({'bootstrap.servers': B, 'group.id': 'py-read-' + isolation, 'auto.offset.reset': 'earliest', 'isolation.level': isolation})
    r.subscribe(['py-txn-out'])
    vals = []
    deadline = time.time() + 15
    while time.time() < deadline:
        m = r.poll(0.2)
        if m is not None and not m.error():
            vals.append(m.value().decode())
        elif len(vals) >= want:
            break
    r.close()
    return sorted(vals)
result['committed'] = read('read_committed', 11)
result['uncommitted'] = read('read_uncommitted', 15)
print(json.dumps(result))
`;

describe('confluent-kafka-python transactions', () => {
  it('commits, aborts, sends offsets and gets fenced like Kafka', async () => {
    expect(HAS_CONFLUENT, 'python3-confluent-kafka is not installed for /usr/bin/python3').toBe(true);
    const r = await runPython<{ committed: string[]; uncommitted: string[]; committed_offsets: number; zombie_committed: boolean; zombie_fatal?: boolean }>(SCRIPT);
    const outs = Array.from({ length: 6 }, (_, i) => `out-in${i}`);
    expect(r.committed).toEqual(['c0', 'c1', 'c2', 'c3', 'fresh', ...outs].sort());
    expect(r.uncommitted).toEqual(['a0', 'a1', 'a2', 'c0', 'c1', 'c2', 'c3', 'fresh', ...outs, 'zombie'].sort());
    expect(r.committed_offsets).toBe(6);
    expect(r.zombie_committed).toBe(false);
    expect(r.zombie_fatal).toBe(true);
  }, 60_000);
});
