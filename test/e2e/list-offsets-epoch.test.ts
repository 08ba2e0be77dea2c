/**
 * ListOffsets answers the leader epoch that wrote the offset it finds
 * (earliest, by timestamp, max timestamp) and the current leader epoch for
 * latest — what clients compare against for truncation detection (KIP-320).
 * A 3-node in-process cluster: records written in epoch 0, the leader
 * stopped, more records written in the next epoch.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { Clients, createTopic, leaderOf, waitFor } from '../slow/replication-helpers.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import type { RawClient } from '../helpers/raw-client.js';

let cluster: RunningCluster | null = null;
const clients = new Clients();

afterEach(async () => {
  clients.closeAll();
  await cluster?.stop();
  cluster = null;
});

/** acks=all produce of one record stamped with the current time. */
async function produce(c: RawClient, topic: string, value: string): Promise<number> {
  const records = buildBatchSync({ records: [{ key: null, value: Buffer.from(value), timestamp: Date.now() }] });
  const r = await c.request(0, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!.errorCode;
}

async function listOffset(c: RawClient, topic: string, timestamp: bigint): Promise<{ errorCode: number; offset: number; leaderEpoch: number }> {
  const r = await c.request(2, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }],
  });
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: Number(p.offset), leaderEpoch: p.leaderEpoch };
}

describe('ListOffsets leader epochs', () => {
  it('answers the epoch that wrote the offset found, and the current epoch for latest', async () => {
    cluster = await startCluster({ nodes: 3, config: { 'replica.fetch.backoff.ms': 50, 'replica.fetch.wait.max.ms': 200, 'krill.fsync.before.ack': false } });
    const c = cluster;
    const admin = await clients.to(c.node(1));
    expect(await createTopic(admin, 'le', 1, 3, { 'min.insync.replicas': '1' })).toBe(0);
    await waitFor(() => [...c.nodes.values()].every((n) => n.replicas.partition('le', 0) !== undefined), 'replicas created');
    const first = leaderOf(c, 'le');
    const p1 = await clients.to(c.node(first));
    for (let i = 0; i < 3; i++) expect(await produce(p1, 'le', `a${i}`)).toBe(0);
    const epoch0 = c.node(first).replicas.partition('le', 0)!.leaderEpoch;
    const beforeMove = Date.now();
    await new Promise((r) => setTimeout(r, 20));

    await c.stopNode(first, { controlled: true });
    await waitFor(() => leaderOf(c, 'le') > 0 && leaderOf(c, 'le') !== first, 'a new leader');
    const next = leaderOf(c, 'le');
    const p2 = await clients.to(c.node(next));
    await waitFor(async () => (await produce(p2, 'le', 'b0')) === 0, 'a write to the new leader');
    const epoch1 = c.node(next).replicas.partition('le', 0)!.leaderEpoch;
    expect(epoch1).toBeGreaterThan(epoch0);

    expect(await listOffset(p2, 'le', -2n)).toEqual({ errorCode: 0, offset: 0, leaderEpoch: epoch0 });
    expect(await listOffset(p2, 'le', -1n)).toEqual({ errorCode: 0, offset: 4, leaderEpoch: epoch1 });
    expect(await listOffset(p2, 'le', -3n)).toEqual({ errorCode: 0, offset: 3, leaderEpoch: epoch1 });
    // The first record at or after a time before the move: offset 0, written in epoch 0.
    expect(await listOffset(p2, 'le', 0n)).toEqual({ errorCode: 0, offset: 0, leaderEpoch: epoch0 });
    // The first record written after the move: the new epoch's record.
    expect(await listOffset(p2, 'le', BigInt(beforeMove + 20))).toEqual({ errorCode: 0, offset: 3, leaderEpoch: epoch1 });
  });
});
