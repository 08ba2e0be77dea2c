/**
 * The conformance suite against an in-process Krill: no check may fail
 * (except the broker bugs listed below, which must still fail so the list
 * stays honest), and every API Krill advertises must be covered.
 *
 * Then the grader itself: against a tiny fake broker that answers one thing
 * wrong (it claims unknown topics exist), the suite must report exactly
 * those checks as failed and `krill conformance` must exit non-zero.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { runConformance, runConformanceCommand, type ConformanceReport } from '../../src/conformance/index.js';
import { Reader, Writer } from '../../src/protocol/primitives/index.js';
import { decodeRequestHeader } from '../../src/protocol/generated/request-header.js';
import { decodeMetadataRequest, metadataRequestMeta } from '../../src/protocol/generated/metadata-request.js';
import { encodeMetadataResponse } from '../../src/protocol/generated/metadata-response.js';
import { encodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.js';

/**
 * Krill bugs the suite finds that are not fixed yet, by check id. When one is
 * fixed its check passes and this test fails until the entry is removed.
 */
const KNOWN_BROKER_BUGS = new Map<string, string>();

describe('conformance of Krill', () => {
  let krill: RunningKrill;
  let report: ConformanceReport;

  beforeAll(async () => {
    krill = await startKrill({ config: { 'group.initial.rebalance.delay.ms': 0 } });
    report = await runConformance(krill.bootstrap, { krill: true });
  }, 120_000);

  afterAll(async () => {
    await krill?.stop();
  });

  it('has no failures beyond the known broker bugs', () => {
    const failures = report.results.filter((r) => r.status === 'failed' && !KNOWN_BROKER_BUGS.has(r.check));
    expect(failures.map((f) => `${f.api} v${f.version} ${f.check}: ${f.detail}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(400);
  });

  it('still fails each known broker bug (remove the entry once fixed)', () => {
    for (const id of KNOWN_BROKER_BUGS.keys()) {
      expect(report.results.some((r) => r.check === id && r.status === 'failed'), id).toBe(true);
    }
  });

  it('covers every API Krill advertises and skips nothing Krill serves', () => {
    const uncovered = report.results.filter((r) => r.check === 'coverage').map((r) => r.api);
    expect(uncovered, 'advertised APIs without conformance checks: add them in src/conformance/checks/').toEqual([]);
    const skipped = report.results.filter((r) => r.status === 'skipped' && r.check !== 'versions.below-min');
    expect(skipped.map((r) => `${r.api} ${r.check}: ${r.detail}`)).toEqual([]);
  });

  it('grades every advertised version of Produce, Fetch and Metadata', () => {
    for (const api of report.advertised.filter((a) => [0, 1, 3].includes(a.apiKey))) {
      const graded = new Set(report.results.filter((r) => r.apiKey === api.apiKey && r.version !== null).map((r) => r.version));
      for (let v = Math.max(api.minVersion, api.apiKey === 1 ? 4 : 0); v <= api.maxVersion; v++) expect(graded.has(v), `${api.name} v${v}`).toBe(true);
    }
  });

  it('grades every advertised version of the transaction APIs with a passing check', () => {
    const txnApis = [22, 24, 25, 26, 27, 28, 61, 65, 66];
    for (const api of report.advertised.filter((a) => txnApis.includes(a.apiKey))) {
      const passed = new Set(report.results.filter((r) => r.apiKey === api.apiKey && r.status === 'passed').map((r) => r.version));
      for (let v = api.minVersion; v <= api.maxVersion; v++) expect(passed.has(v), `${api.name} v${v}`).toBe(true);
    }
    for (const id of ['scenario.transaction', 'scenario.transaction-fencing', 'krill.txn-verification']) {
      expect(report.results.find((r) => r.check === id)?.status, id).toBe('passed');
    }
  });

  it('krill conformance prints the table, writes JSON and exits 0 when its checks pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'krill-conformance-'));
    try {
      const lines: string[] = [];
      const json = join(dir, 'report.json');
      const code = await runConformanceCommand({ bootstrap: krill.bootstrap, json, only: ['metadata.', 'api-versions.'], out: (l) => lines.push(l) });
      expect(code).toBe(0);
      const text = lines.join('\n');
      expect(text).toMatch(/API\s+version\s+passed\s+failed\s+skipped/);
      expect(text).toMatch(/Metadata \(3\)\s+v12\s+[1-9]\d*\s+0\s+0/);
      const parsed = JSON.parse(readFileSync(json, 'utf8')) as ConformanceReport;
      expect(parsed.summary.failed).toBe(0);
      expect(parsed.results.length).toBe(parsed.summary.passed + parsed.summary.skipped);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- the grader

/**
 * A fake broker that serves ApiVersions (v0-3) and Metadata (v0-12) with
 * Krill's codec, creating topics on Metadata requests that allow it, and
 * answers wrong on purpose: every topic asked for "exists", including ones
 * nobody created. Unknown keys and versions close the connection, as Kafka
 * does.
 */
function fakeBroker(): Promise<{ server: Server; bootstrap: string }> {
  const topics = new Set<string>();
  const server = createServer((socket: Socket) => {
    let buf = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0));
        buf = buf.subarray(4 + frame.length);
        const reply = answer(frame, socket.localPort!, topics);
        if (reply === null) {
          socket.destroy();
          return;
        }
        socket.write(reply);
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, bootstrap: `127.0.0.1:${(server.address() as { port: number }).port}` })));
}

function answer(frame: Buffer, port: number, known: Set<string>): Buffer | null {
  const apiKey = frame.readInt16BE(0);
  const version = frame.readInt16BE(2);
  const w = new Writer();
  w.int32(0);
  w.int32(frame.readInt32BE(4));
  if (apiKey === 18) {
    const apiKeys = [
      { apiKey: 3, minVersion: 0, maxVersion: 12 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ];
    const r = new Reader(frame);
    decodeRequestHeader(r, version >= 3 ? 2 : 1);
    const name = version >= 3 ? r.compactString() : '';
    if (version > 3) encodeApiVersionsResponse(w, 0, { errorCode: 35, apiKeys });
    else encodeApiVersionsResponse(w, version, { errorCode: /^[a-zA-Z0-9]?([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/.test(name) ? 0 : 42, apiKeys });
  } else if (apiKey === 3 && version <= 12) {
    const flexible = version >= metadataRequestMeta.flexibleFrom!;
    const r = new Reader(frame);
    decodeRequestHeader(r, flexible ? 2 : 1);
    const req = decodeMetadataRequest(r, version);
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    if (!all && (version < 4 || req.allowAutoTopicCreation)) for (const t of req.topics!) known.add(t.name!);
    const names = all ? [...known] : req.topics!.map((t) => t.name!);
    if (flexible) w.uvarint(0);
    encodeMetadataResponse(w, version, {
      brokers: [{ nodeId: 1, host: '127.0.0.1', port, rack: null }],
      clusterId: 'fake-cluster',
      controllerId: 1,
      topics: names.map((name) => ({
        errorCode: 0, // the deliberate bug: unknown topics are said to exist
        name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAQ',
        isInternal: false,
        partitions: [0, 1].map((partitionIndex) => ({ errorCode: 0, partitionIndex, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
      })),
    });
  } else {
    return null;
  }
  const out = w.toBuffer();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

describe('the grader', () => {
  let fake: { server: Server; bootstrap: string };

  beforeAll(async () => {
    fake = await fakeBroker();
  });

  afterAll(() => {
    fake?.server.close();
  });

  it('reports a broker that answers wrong as failing, and only where it is wrong', async () => {
    const report = await runConformance(fake.bootstrap);
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(new Set(failed.map((r) => r.check))).toEqual(new Set(['metadata.unknown-topic', 'metadata.unknown-topic+tags']));
    expect(failed.filter((r) => r.check === 'metadata.unknown-topic').map((r) => r.version)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(failed[0]!.detail).toMatch(/expected UNKNOWN_TOPIC_OR_PARTITION \(3\), got NONE \(0\)/);
    // What it does right still passes; what it does not serve is skipped with the reason.
    expect(report.results.some((r) => r.check === 'metadata.lists-topic' && r.version === 12 && r.status === 'passed')).toBe(true);
    expect(report.results.some((r) => r.check === 'api-versions.newer-version' && r.status === 'passed')).toBe(true);
    const produce = report.results.find((r) => r.check === 'produce.round-trip');
    expect(produce).toMatchObject({ status: 'skipped', detail: expect.stringMatching(/does not advertise Produce/) });
  });

  it('makes krill conformance exit non-zero', async () => {
    const lines: string[] = [];
    const code = await runConformanceCommand({ bootstrap: fake.bootstrap, out: (l) => lines.push(l) });
    expect(code).toBe(1);
    expect(lines.join('\n')).toMatch(/✗ Metadata v4 metadata.unknown-topic: errorCode: expected UNKNOWN_TOPIC_OR_PARTITION/);
  });

  it('exits 2 when nothing listens at the bootstrap address', async () => {
    const lines: string[] = [];
    const code = await runConformanceCommand({ bootstrap: '127.0.0.1:1', out: (l) => lines.push(l) });
    expect(code).toBe(2);
  });
});
