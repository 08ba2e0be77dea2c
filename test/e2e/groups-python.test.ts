/**
 * Groups with the Python clients, when the machine has them (Debian:
 * python3-confluent-kafka, python3-kafka; skipped otherwise):
 * confluent-kafka (librdkafka) consumers with cooperative-sticky
 * assignment, and kafka-python consumers with auto-commit, each sharing a
 * topic in one group and consuming every message exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { hasPythonModule, runPythonScript } from '../compat/helpers/python.js';

const HAS_CONFLUENT = hasPythonModule('confluent_kafka');
const HAS_KAFKA_PYTHON = hasPythonModule('kafka');

let krill: RunningKrill;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'group.initial.rebalance.delay.ms': 0, 'group.min.session.timeout.ms': 1000, 'offsets.topic.num.partitions': 5, 'num.partitions': 6 },
  });
});

afterAll(async () => {
  await krill?.stop();
});

function runPython<T>(script: string, timeoutMs = 60_000): Promise<T> {
  return runPythonScript<T>(script, krill.bootstrap, timeoutMs);
}

const CONFLUENT = `
import json, os, threading, time
from confluent_kafka import Consumer, Producer
B = os.environ['BOOTSTRAP']
topic = 'py-coop'
p = Producer({'bootstrap.servers': B})
for i in range(600):
    p.produce(topic, key=str(i), value='v', partition=i % 6)
p.flush(30)
seen, assigned, lock = {}, {'c1': set(), 'c2': set()}, threading.Lock()
def run(name, secs):
    c = Consumer({'bootstrap.servers': B, 'group.id': 'py-coop-group', 'auto.offset.reset': 'earliest',
                  'partition.assignment.strategy': 'cooperative-sticky', 'session.timeout.ms': 6000,
                  'heartbeat.interval.ms': 300})
    c.subscribe([topic], on_assign=lambda cons, parts: assigned[name].update(x.partition for x in parts))
    t0 = time.time()
    while time.time() - t0 < secs:
        m = c.poll(0.1)
        if m is None or m.error():
            continue
        with lock:
            k = '%d:%d' % (m.partition(), m.offset())
            seen[k] = seen.get(k, 0) + 1
    c.close()
t1 = threading.Thread(target=run, args=('c1', 9)); t1.start()
time.sleep(1.5)
t2 = threading.Thread(target=run, args=('c2', 5)); t2.start()
t1.join(); t2.join()
print(json.dumps({'consumed': len(seen), 'dups': sum(1 for v in seen.values() if v > 1),
                  'c1': sorted(assigned['c1']), 'c2': sorted(assigned['c2'])}))
`;

const KAFKA_PYTHON = `
import json, os, threading, time
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
B = os.environ['BOOTSTRAP']
topic = 'py-kp'
admin_consumer = KafkaConsumer(bootstrap_servers=B)
p = KafkaProducer(bootstrap_servers=B)
for i in range(300):
    p.send(topic, key=str(i).encode(), value=b'v')
p.flush(); p.close()
partitions = sorted(admin_consumer.partitions_for_topic(topic) or [])
seen, lock = {}, threading.Lock()
def run(secs):
    c = KafkaConsumer(topic, bootstrap_servers=B, group_id='py-kp-group', auto_offset_reset='earliest',
                      session_timeout_ms=6000, heartbeat_interval_ms=300, auto_commit_interval_ms=200)
    t0 = time.time()
    while time.time() - t0 < secs:
        for tp, msgs in c.poll(200).items():
            for m in msgs:
                with lock:
                    k = '%d:%d' % (m.partition, m.offset)
                    seen[k] = seen.get(k, 0) + 1
    c.close()
threads = [threading.Thread(target=run, args=(6,)), threading.Thread(target=run, args=(6,))]
for t in threads: t.start()
for t in threads: t.join()
c = KafkaConsumer(bootstrap_servers=B, group_id='py-kp-group')
committed = sum(c.committed(TopicPartition(topic, x)) or 0 for x in partitions)
print(json.dumps({'consumed': len(seen), 'dups': sum(1 for v in seen.values() if v > 1), 'committed': committed}))
`;

describe('Python clients in consumer groups', () => {
  // A client that is expected but missing fails the run (apt-get install python3-confluent-kafka python3-kafka).
  it('confluent-kafka (librdkafka) with cooperative-sticky shares a topic, exactly once', async () => {
    expect(HAS_CONFLUENT, 'python3-confluent-kafka is not installed for /usr/bin/python3').toBe(true);
    const r = await runPython<{ consumed: number; dups: number; c1: number[]; c2: number[] }>(CONFLUENT);
    expect(r.consumed).toBe(600);
    expect(r.dups).toBe(0);
    expect(r.c1.length).toBeGreaterThan(0);
    expect(r.c2.length).toBeGreaterThan(0);
  }, 60_000);

  it('kafka-python consumers share a topic and commit what they consumed', async () => {
    expect(HAS_KAFKA_PYTHON, 'python3-kafka is not installed for /usr/bin/python3').toBe(true);
    const r = await runPython<{ consumed: number; dups: number; committed: number }>(KAFKA_PYTHON);
    expect(r.consumed).toBe(300);
    expect(r.dups).toBe(0);
    expect(r.committed).toBe(300);
  }, 60_000);
});
