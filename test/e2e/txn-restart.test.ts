/**
 * Transactions across broker restarts (issue 5).
 *
 * - SIGKILL mid-transaction (a real broker process): after the restart the
 *   open transaction is still Ongoing (it is in __transaction_state and in
 *   the partition's producer state, holding the last stable offset), and
 *   the producer's successor with the same transactional id aborts it;
 *   read_committed consumers see exactly the committed transactions.
 * - A decided commit: the coordinator stops after PrepareCommit is durable
 *   and before any marker is written (the record is written the way the
 *   coordinator writes it, then the broker stops). On restart the
 *   coordinator writes the markers and completes the transaction.
 * - An open transaction whose producer never comes back is aborted by its
 *   timeout after the restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import { encodeTxnKey, encodeTxnValue, TxnState } from '../../src/txn/txn-records.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/txn/txn-topic.js';
import { prepareEnd } from '../../src/txn/txn-transitions.js';
import { kafkaClient } from '../helpers/kafkajs.js';
import { readTopic } from '../helpers/read-topic.js';
import { RawClient } from '../helpers/raw-client.js';
import { BrokerProcess, freePort } from '../slow/broker-process.js';

const dirs: string[] = [];
const running: RunningKrill[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'krill-txn-restart-'));
  dirs.push(d);
  return d;
};
const CONFIG = { 'transaction.state.log.num.partitions': 2, 'offsets.topic.num.partitions': 2, 'group.initial.rebalance.delay.ms': 0 };

afterAll(async () => {
  for (const k of running) await k.stop().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<RunningKrill> {
  const k = await startKrill({ dataDir, config: CONFIG });
  running.push(k);
  return k;
}

async function describeTxn(bootstrap: string, id: string) {
  const c = await RawClient.connect(bootstrap);
  try {
    return (await c.request(65, 0, { transactionalIds: [id] })).transactionStates[0];
  } finally {
    c.close();
  }
}

async function waitState(bootstrap: string, id: string, state: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await describeTxn(bootstrap, id);
    if (s.transactionState === state) return;
    if (Date.now() > deadline) throw new Error(`${id} is ${s.transactionState}, not ${state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('transactions across restarts', () => {
  it('a broker killed mid-transaction: the successor producer aborts it, consumers see committed data only', async () => {
    const dataDir = tmp();
    const port = await freePort();
    const bootstrap = `127.0.0.1:${port}`;
    let broker = BrokerProcess.start(dataDir, port, CONFIG);
    try {
      await broker.waitReady(bootstrap);
      let kafka = kafkaClient(bootstrap, 'txn-kill');
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'kill-out', numPartitions: 2 }] });
      await admin.disconnect();
      const first = kafka.producer({ transactionalId: 'kill-txn', idempotent: true, maxInFlightRequests: 1 });
      await first.connect();
      let txn = await first.transaction();
      await txn.send({ topic: 'kill-out', messages: [{ key: 'a', value: 'committed-1' }, { key: 'b', value: 'committed-2' }] });
      await txn.commit();
      txn = await first.transaction();
      await txn.send({ topic: 'kill-out', messages: [{ key: 'a', value: 'open-1' }, { key: 'b', value: 'open-2' }] });

      await broker.kill();
      await first.disconnect().catch(() => undefined);
      broker = BrokerProcess.start(dataDir, port, CONFIG);
      await broker.waitReady(bootstrap);
      expect((await describeTxn(bootstrap, 'kill-txn')).transactionState).toBe('Ongoing');

      kafka = kafkaClient(bootstrap, 'txn-kill-2');
      const second = kafka.producer({ transactionalId: 'kill-txn', idempotent: true, maxInFlightRequests: 1 });
      await second.connect();
      txn = await second.transaction(); // fences the first producer, aborting its transaction
      await txn.send({ topic: 'kill-out', messages: [{ key: 'a', value: 'committed-3' }] });
      await txn.commit();
      await second.disconnect();

      expect((await readTopic(kafka, 'kill-out', { count: 3 })).sort()).toEqual(['committed-1', 'committed-2', 'committed-3']);
      expect((await readTopic(kafka, 'kill-out', { count: 5, readUncommitted: true })).sort()).toEqual(['committed-1', 'committed-2', 'committed-3', 'open-1', 'open-2']);
    } finally {
      await broker.kill();
    }
  });

  it('a commit decided before the coordinator stopped is completed after the restart', async () => {
    const dataDir = tmp();
    let krill = await start(dataDir);
    let kafka = kafkaClient(krill.bootstrap, 'txn-decided');
    const producer = kafka.producer({ transactionalId: 'decided', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'decided-out', messages: [{ value: 'd1' }, { value: 'd2' }] });

    // PrepareCommit reaches __transaction_state, as EndTxn would write it, and the coordinator stops before any marker.
    const txns = krill.node.txns;
    const partition = txns.partitionFor('decided');
    const m = txns.runtimeFor('decided').shard.txns.get('decided');
    expect(m?.state).toBe(TxnState.Ongoing);
    const record = buildBatchSync({ records: [{ key: encodeTxnKey('decided'), value: encodeTxnValue(prepareEnd(m!, true, Date.now())) }], defaultTimestamp: Date.now() });
    await krill.node.replicas.append(TRANSACTION_STATE_TOPIC, partition, record, -1);
    await producer.disconnect();
    await krill.stop();

    krill = await start(dataDir);
    await waitState(krill.bootstrap, 'decided', 'CompleteCommit');
    kafka = kafkaClient(krill.bootstrap, 'txn-decided-2');
    expect((await readTopic(kafka, 'decided-out', { count: 2 })).sort()).toEqual(['d1', 'd2']);
  });

  it('an open transaction whose producer never returns is aborted by its timeout after the restart', async () => {
    const dataDir = tmp();
    let krill = await start(dataDir);
    let kafka = kafkaClient(krill.bootstrap, 'txn-orphan');
    const producer = kafka.producer({ transactionalId: 'orphan', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 2000 });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'orphan-out', messages: [{ value: 'never' }] });
    await producer.disconnect();
    await krill.stop();

    krill = await start(dataDir);
    kafka = kafkaClient(krill.bootstrap, 'txn-orphan-2');
    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic: 'orphan-out', messages: [{ value: 'after' }] });
    await plain.disconnect();
    await waitState(krill.bootstrap, 'orphan', 'CompleteAbort');
    expect(await readTopic(kafka, 'orphan-out', { count: 1 })).toEqual(['after']);
  });
});
