/**
 * Client matrix: kcat 1.7.1 on librdkafka 2.0.2 (Debian kcat). kcat has no
 * admin API, so the admin part is its metadata listing; it sets headers per
 * run, so every record carries the same headers. It produces one record per
 * input line (`key<TAB>value`; a line without the tab has a null key) with
 * every librdkafka codec, and consumes from the beginning with -J (JSON
 * envelope: key, payload, headers). A missing kcat fails the run.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODECS, createTopic, expectSameRecords, expectStored, logVersions, matrixRecords, startMatrixBroker, type MatrixBroker, type MatrixRecord } from './helpers/matrix.js';

const HEADERS: Array<[string, string]> = [['h-a', '1'], ['h-b', 'two']];
const BIG = '3000000';

function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', args, { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed (${err.code ?? err.signal ?? err.message}): ${stderr.slice(-2000)}`));
      else resolve({ stdout, stderr });
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

interface KcatMessage {
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

describe('kcat (librdkafka)', () => {
  let broker: MatrixBroker;

  beforeAll(async () => {
    broker = await startMatrixBroker();
    const { stdout } = await kcat(['-V']);
    console.info(`[compat] kcat versions: ${stdout.split('\n').find((l) => l.startsWith('Version')) ?? stdout}`);
  });

  afterAll(async () => {
    if (broker) logVersions('kcat', broker);
    await broker?.stop();
  });

  it('lists a topic and its partitions (-L; kcat has no admin API)', async () => {
    await createTopic(broker, 'kcat-listed', 3);
    const { stdout } = await kcat(['-L', '-J', '-b', broker.bootstrap, '-t', 'kcat-listed']);
    const md = JSON.parse(stdout) as { topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number }> }> };
    const t = md.topics.find((x) => x.topic === 'kcat-listed');
    expect(t?.partitions.map((p) => p.partition).sort()).toEqual([0, 1, 2]);
  });

  for (const codec of CODECS) {
    it(`produces with ${codec} (null key, empty value, headers, 1 MB) and consumes every record from the beginning`, async () => {
      const topic = `kcat-${codec}`;
      await createTopic(broker, topic);
      const records = matrixRecords(`kcat-${codec}`, { sameHeaders: HEADERS });
      const lines = records.map((r) => (r.key === null ? r.value : `${r.key}\t${r.value}`)).join('\n') + '\n';
      const produceArgs = ['-P', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-K', '\\t', '-X', `message.max.bytes=${BIG}`, '-X', 'linger.ms=20'];
      if (codec !== 'none') produceArgs.push('-z', codec);
      for (const [k, v] of HEADERS) produceArgs.push('-H', `${k}=${v}`);
      await kcat(produceArgs, lines);
      await expectStored(broker, topic, records, codec);
      const { stdout } = await kcat(['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-J', '-X', `fetch.message.max.bytes=${BIG}`]);
      const got = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as KcatMessage);
      expect(got.map((m) => m.offset)).toEqual(records.map((_, i) => i));
      const asRecords: MatrixRecord[] = got.map((m) => {
        const hs = m.headers ?? [];
        const headers: Array<[string, string]> = [];
        for (let i = 0; i + 1 < hs.length; i += 2) headers.push([hs[i]!, hs[i + 1]!]);
        return { key: m.key, value: m.payload ?? '<null>', headers };
      });
      expectSameRecords(asRecords, records, 'records kcat consumed');
    });
  }
});
