/**
 * ClusterMarkerWriter's routing by the metadata image: partitions led here
 * go to the local writer in one call, a partition whose topic is gone is
 * done (Kafka drops its marker), one without a leader or whose leader has
 * no endpoint is retried (LEADER_NOT_AVAILABLE), a leader that cannot be
 * reached is retried (NETWORK_EXCEPTION). Answers come back in the order
 * of the request's partitions.
 */
import { createServer, type Server } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/api/error-codes.js';
import { ClusterMarkerWriter } from '../../../src/txn/cluster-marker-writer.js';
import type { TxnMarkerRequest } from '../../../src/txn/txn-marker-writer.js';
import { imageWith, replay } from '../replication/image-helpers.js';

const writers: ClusterMarkerWriter[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const w of writers.splice(0)) w.close();
  for (const s of servers.splice(0)) s.close();
});

const marker = (partitions: Array<[string, number]>): TxnMarkerRequest => ({
  producerId: 7n,
  producerEpoch: 0,
  coordinatorEpoch: 1,
  commit: true,
  partitions: partitions.map(([topic, partition]) => ({ topic, partition })),
});

describe('ClusterMarkerWriter', () => {
  it('routes each partition by its leader in the image', async () => {
    // Partitions of t: 0 led by 1 (this node), 1 without a leader, 2 led by 2 (no endpoint), 3 led by 1.
    const image = imageWith(2, [
      { replicas: [1, 2], isr: [1, 2], leader: 1 },
      { replicas: [1, 2], isr: [], leader: -1 },
      { replicas: [2, 1], isr: [2, 1], leader: 2 },
      { replicas: [1, 2], isr: [1, 2], leader: 1 },
    ]);
    const localCalls: TxnMarkerRequest[] = [];
    const w = new ClusterMarkerWriter({
      nodeId: 1,
      local: { write: async (m) => (localCalls.push(m), m.partitions.map((tp) => (tp.partition === 0 ? ErrorCode.NONE : ErrorCode.NOT_LEADER_OR_FOLLOWER))) },
      image: () => image,
      listenerName: null,
      requestTimeoutMs: 1000,
      log: pino({ level: 'silent' }),
    });
    writers.push(w);
    const codes = await w.write(marker([['t', 3], ['gone', 0], ['t', 1], ['t', 2], ['t', 0]]));
    expect(codes).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.NONE, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NONE]);
    expect(localCalls.map((m) => m.partitions)).toEqual([[{ topic: 't', partition: 3 }, { topic: 't', partition: 0 }]]);
  });

  it('answers NETWORK_EXCEPTION for a leader that closes the connection', async () => {
    const server = createServer((s) => s.destroy());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const base = imageWith(2, [{ replicas: [2, 1], isr: [2, 1], leader: 2 }]);
    const image = replay(base, [
      { type: 'RegisterBroker', data: { brokerId: 2, brokerEpoch: 200n, incarnationId: 'AAAAAAAAAAAAAAAAAAAAAg', endPoints: [{ name: 'PLAINTEXT', host: '127.0.0.1', port, securityProtocol: 0 }], rack: null, fenced: false } },
    ]);
    const w = new ClusterMarkerWriter({ nodeId: 1, local: { write: async () => [] }, image: () => image, listenerName: null, requestTimeoutMs: 1000, log: pino({ level: 'silent' }) });
    writers.push(w);
    expect(await w.write(marker([['t', 0]]))).toEqual([ErrorCode.NETWORK_EXCEPTION]);
  });
});
