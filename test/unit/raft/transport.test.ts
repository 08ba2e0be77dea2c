/**
 * The KRaft transport end to end without sockets: three MetadataQuorums
 * whose client pools hand each request to the target node's handler,
 * encoded and decoded with the real codec (what would cross the wire).
 *
 * Scenario: node 1 led term 1 and wrote an entry nobody else got before it
 * went away; nodes 2 and 3 went on in term 2. When node 1 comes back its
 * Fetch diverges (DivergingEpoch), it fetches from the truncation point and
 * the leader's entries replace its divergent suffix; every node ends with
 * the same log and the same image.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRaftStorage } from '../../../src/controller/file-raft-storage.js';
import { MetadataQuorum } from '../../../src/controller/metadata-quorum.js';
import { encodeMetadataRecord } from '../../../src/controller/metadata-records.js';
import { systemClock } from '../../../src/platform/clock.js';
import { seededRandom } from '../../../src/platform/random.js';
import { KafkaClientError, type Address, type ApiKeyOf, type KafkaClientPool, type RequestOf, type ResponseOf } from '../../../src/platform/kafka-client.js';
import { API_SCHEMAS } from '../../../src/protocol/generated/api-keys.js';
import { Reader, Writer } from '../../../src/protocol/primitives/index.js';
import type { Entry, HardState } from '../../../src/controller/raft/types.js';

const logger = pino({ level: 'silent' });
const clock = systemClock();
const VOTERS = [1, 2, 3];
const address = (id: number): Address => ({ host: 'node', port: id });
let root: string;
let nodes: MetadataQuorum[] = [];

afterEach(async () => {
  for (const n of nodes) await n.stop().catch(() => undefined);
  nodes = [];
  rmSync(root, { recursive: true, force: true });
});

/** Encodes then decodes with the generated codec: what the other side would read. */
function wire<T>(apiKey: number, side: 'request' | 'response', version: number, body: unknown): T {
  const schema = (API_SCHEMAS as unknown as Record<number, Record<'request' | 'response', { encode(w: Writer, v: number, m: unknown): void; decode(r: Reader, v: number): unknown }>>)[apiKey]![side];
  const w = new Writer(256);
  schema.encode(w, version, body);
  return schema.decode(new Reader(w.toBuffer()), version) as T;
}

/** A client pool that delivers to the in-process node at the address (port = node id); down nodes refuse. */
function router(down: Set<number>): KafkaClientPool {
  const pool = {
    async request<K extends ApiKeyOf>(to: Address, _lane: string, apiKey: K, version: number, body: RequestOf<K>): Promise<ResponseOf<K>> {
      const target = nodes.find((n) => n.driver.id === to.port);
      if (!target || down.has(to.port)) throw new KafkaClientError(`node ${to.port} is down`, 'connect');
      const t = target.transport;
      const req = wire<never>(apiKey, 'request', version, body);
      let res: unknown;
      if (apiKey === 52) res = await t.handleVote(req);
      else if (apiKey === 53) res = await t.handleBeginQuorumEpoch(req);
      else if (apiKey === 54) res = await t.handleEndQuorumEpoch(req);
      else if (apiKey === 1) res = await t.handleFetch(req, version);
      else if (apiKey === 59) res = t.handleFetchSnapshot(req);
      else if (apiKey === 55) res = t.describeQuorum();
      else throw new Error(`unrouted API ${apiKey}`);
      return wire<ResponseOf<K>>(apiKey, 'response', version, res);
    },
    close() {},
  };
  return pool as unknown as KafkaClientPool;
}

const topic = (name: string): Uint8Array => encodeMetadataRecord({ type: 'Topic', data: { name, topicId: Buffer.from(name.padEnd(16, '_').slice(0, 16)).toString('base64url') } });
const marker = new Uint8Array(0);

async function seed(id: number, entries: Entry[], hardState: HardState): Promise<void> {
  const s = await FileRaftStorage.open({ dir: join(root, `n${id}`), clusterId: 'c', voters: VOTERS, logger, clock });
  await s.persist({ entries, messages: [], committedEntries: [], mustSync: true, hardState }, -1);
  await s.close();
}

async function open(id: number, down: Set<number>): Promise<MetadataQuorum> {
  const q = await MetadataQuorum.open({
    nodeId: id,
    clusterId: 'c',
    dir: join(root, `n${id}`),
    voterIds: VOTERS,
    addresses: new Map(VOTERS.map((v) => [v, address(v)])),
    endpoints: [],
    timings: { tickMs: 10, electionTicks: 10, heartbeatTicks: 5, checkQuorumTicks: 30 },
    snapshotBytes: 1 << 30,
    pool: router(down),
    clock,
    random: seededRandom(id),
    logger,
  });
  nodes.push(q);
  return q;
}

async function until(what: string, cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Raft over the Kafka protocol (in-memory router)', () => {
  it('a returning old leader truncates its divergent entry and takes the new leader\'s log', async () => {
    root = mkdtempSync(join(tmpdir(), 'krill-raft-transport-'));
    const common: Entry[] = [
      { index: 1, term: 1, data: marker },
      { index: 2, term: 1, data: topic('a') },
    ];
    await seed(1, [...common, { index: 3, term: 1, data: topic('lost') }], { term: 1, votedFor: 1, commit: 0 });
    for (const id of [2, 3]) await seed(id, [...common, { index: 3, term: 2, data: marker }, { index: 4, term: 2, data: topic('b') }], { term: 2, votedFor: 2, commit: 0 });

    const down = new Set<number>([1]);
    const n2 = await open(2, down);
    const n3 = await open(3, down);
    n2.start();
    n3.start();
    await until('a leader among 2 and 3', () => n2.isActive() || n3.isActive());
    const leader = n2.isActive() ? n2 : n3;
    expect(leader.image().topic('b')).toBeDefined();

    down.delete(1);
    const n1 = await open(1, down);
    n1.start();
    await until('node 1 caught up', () => n1.image().topic('b') !== undefined);
    expect(n1.image().topic('lost')).toBeUndefined();
    expect(n1.storage.term(3)).toBe(leader.storage.term(3));
    const log = (q: MetadataQuorum): string => q.storage.entries(1, q.storage.lastIndex() + 1, 1000).map((e) => `${e.index}:${e.term}:${e.data.length}`).join(' ');
    await until('identical logs', () => log(n1) === log(leader));
    expect(n1.leaderId).toBe(leader.driver.id);

    // A change committed now reaches every node, node 1 included.
    await leader.commit([{ type: 'Topic', data: { name: 'c', topicId: 'Y19fX19fX19fX19fX19fXw' } }]);
    for (const n of [n1, n2, n3]) await until(`topic c on node ${n.driver.id}`, () => n.image().topic('c') !== undefined);
  }, 60_000);
});
