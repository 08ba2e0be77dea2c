/**
 * Shared parts of the client compatibility matrix: a Krill node behind the
 * version-recording proxy, the record set every client produces (null key,
 * empty value, headers, unicode, a 1 MB record), topic creation with
 * max.message.bytes raised for the big record, reading a partition back
 * with Krill's own codec (to check what a producer really wrote, codec
 * included), and a record comparison that reports the first difference
 * without printing a megabyte.
 */
import { createServer, type AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { startKrill, type RunningKrill } from '../../../src/index.js';
import { KafkaConnection } from '../../../src/conformance/connection.js';
import { batchPositions, compressionOf, CompressionType } from '../../../src/protocol/record-batch.js';
import { decodeBatch } from '../../../src/protocol/records.js';
import { ZERO_UUID } from '../../../src/protocol/primitives/index.js';
import { VersionProxy } from './version-proxy.js';

export type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const CODECS: readonly Codec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const CODEC_TYPE: Record<Codec, CompressionType> = {
  none: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** Topic max.message.bytes for the matrix topics: room for the 1 MB record. */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024;
export const BIG_VALUE_BYTES = 1024 * 1024;

export interface MatrixRecord {
  key: string | null;
  value: string;
  headers: Array<[string, string]>;
}

/** 1 MiB of printable ASCII (no tab, no newline: kcat reads lines). */
export const BIG_VALUE = (() => {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.';
  let x = 12345;
  const out = Buffer.alloc(BIG_VALUE_BYTES);
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = chars.charCodeAt(x % chars.length);
  }
  return out.toString('latin1');
})();

/**
 * The records each client produces and must read back, in order.
 * `sameHeaders` gives every record these headers (kcat sets headers per run).
 */
export function matrixRecords(tag: string, opts: { sameHeaders?: Array<[string, string]> } = {}): MatrixRecord[] {
  const rs: MatrixRecord[] = [
    { key: `${tag}-k0`, value: `${tag}-v0`, headers: [['h-a', '1'], ['h-b', 'two']] },
    { key: null, value: `${tag}-null-key`, headers: [] },
    { key: `${tag}-empty-value`, value: '', headers: [] },
    { key: `${tag}-ключ`, value: 'värde ✓ 日本', headers: [['h-ü', 'ü']] },
  ];
  for (let i = 4; i < 10; i++) rs.push({ key: `${tag}-k${i}`, value: `${tag}-v${i}`, headers: [] });
  rs.push({ key: `${tag}-big`, value: BIG_VALUE, headers: [] });
  if (opts.sameHeaders) for (const r of rs) r.headers = opts.sameHeaders.map(([k, v]) => [k, v]);
  return rs;
}

const short = (s: string | null): string => (s === null ? 'null' : s.length > 40 ? `${JSON.stringify(s.slice(0, 40))}… (${s.length} chars)` : JSON.stringify(s));

/** Fails with the first difference: count, then key, value, headers of each record in order. */
export function expectSameRecords(got: readonly MatrixRecord[], want: readonly MatrixRecord[], what: string): void {
  const problems: string[] = [];
  if (got.length !== want.length) problems.push(`${got.length} records, expected ${want.length}`);
  for (let i = 0; i < Math.min(got.length, want.length) && problems.length < 5; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (g.key !== w.key) problems.push(`record ${i} key ${short(g.key)}, expected ${short(w.key)}`);
    if (g.value !== w.value) problems.push(`record ${i} value ${short(g.value)}, expected ${short(w.value)}`);
    if (JSON.stringify(g.headers) !== JSON.stringify(w.headers)) problems.push(`record ${i} headers ${JSON.stringify(g.headers)}, expected ${JSON.stringify(w.headers)}`);
  }
  expect(problems, what).toEqual([]);
}

export interface MatrixBroker {
  krill: RunningKrill;
  proxy: VersionProxy;
  /** What clients connect to (the proxy). */
  bootstrap: string;
  /** Krill's own listener, for the matrix's checks (kept out of the version log). */
  direct: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A fresh Krill node that advertises the version-recording proxy. */
export async function startMatrixBroker(): Promise<MatrixBroker> {
  const proxy = await VersionProxy.start();
  const port = await freePort();
  const krill = await startKrill({
    config: {
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}`,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  proxy.setTarget(`127.0.0.1:${port}`);
  return {
    krill,
    proxy,
    bootstrap: `127.0.0.1:${proxy.port}`,
    direct: `127.0.0.1:${port}`,
    async stop() {
      await proxy.close();
      await krill.stop();
    },
  };
}

/** Prints what a client negotiated (the README's compatibility table is built from these lines). */
export function logVersions(client: string, broker: MatrixBroker): void {
  console.info(`[compat] ${client} sent: ${broker.proxy.summary()}`);
}

/** Creates a topic with Krill's codec (CreateTopics v7), max.message.bytes raised for the 1 MB record. */
export async function createTopic(broker: MatrixBroker, name: string, partitions = 1): Promise<void> {
  const c = await KafkaConnection.connect(broker.direct);
  try {
    const res = await c.request(19, 7, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, configs: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }] }],
      timeoutMs: 10_000,
    });
    expect(res.topics[0]?.errorCode, `create ${name}`).toBe(0);
  } finally {
    c.close();
  }
}

export interface StoredPartition {
  records: MatrixRecord[];
  /** Compression codec of every stored batch. */
  codecs: Set<CompressionType>;
  /** Producer id of every stored batch (-1: not idempotent). */
  producerIds: Set<bigint>;
}

/** Reads a whole partition with Krill's codec (Fetch v12), independent of any client. */
export async function readPartition(broker: MatrixBroker, topic: string, partition = 0): Promise<StoredPartition> {
  const c = await KafkaConnection.connect(broker.direct);
  const out: StoredPartition = { records: [], codecs: new Set(), producerIds: new Set() };
  try {
    let offset = 0n;
    for (;;) {
      const res = await c.request(1, 12, {
        maxWaitMs: 0,
        topics: [{ topic, topicId: ZERO_UUID, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 8 * 1024 * 1024 }] }],
      });
      const p = res.responses[0]!.partitions[0]!;
      expect(p.errorCode, `fetch ${topic}`).toBe(0);
      const records = p.records ?? Buffer.alloc(0);
      let progressed = false;
      for (const [pos, size] of batchPositions(records)) {
        const batch = records.subarray(pos, pos + size);
        out.codecs.add(compressionOf(batch));
        const decoded = await decodeBatch(batch);
        out.producerIds.add(decoded.header.producerId);
        for (const r of decoded.records) {
          if (BigInt(r.offset) < offset) continue;
          out.records.push({
            key: r.key === null ? null : r.key.toString('utf8'),
            value: r.value === null ? '<null>' : r.value.toString('utf8'),
            headers: r.headers.map((h) => [h.key, h.value === null ? '<null>' : h.value.toString('utf8')]),
          });
          offset = BigInt(r.offset) + 1n;
          progressed = true;
        }
      }
      if (!progressed || offset >= p.highWatermark) return out;
    }
  } finally {
    c.close();
  }
}

/**
 * Checks what a client stored: the records, and that it really used the
 * codec asked for (returns what was read). A batch may still be uncompressed: librdkafka sends a
 * batch as is when compressing it would not make it smaller.
 */
export async function expectStored(broker: MatrixBroker, topic: string, want: readonly MatrixRecord[], codec: Codec): Promise<StoredPartition> {
  const stored = await readPartition(broker, topic);
  expectSameRecords(stored.records, want, `records stored in ${topic}`);
  const codecs = [...stored.codecs];
  expect(codecs, `codecs of the batches in ${topic}`).toContain(CODEC_TYPE[codec]);
  expect(codecs.filter((c) => c !== CODEC_TYPE[codec] && c !== CompressionType.None), `codecs of the batches in ${topic}`).toEqual([]);
  return stored;
}

/** Polls until cond() holds or timeoutMs passes; returns whether it held. */
export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
