/**
 * Bad input over real TCP: the broker answers with a Kafka error code or
 * closes that one connection, never crashes or hangs, and other connections
 * keep working. Also the limits: socket.request.max.bytes, message.max.bytes,
 * max.connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKrill, type RunningKrill } from '../../src/index.js';
import { buildBatchSync } from '../../src/protocol/records.js';
import { ErrorCode } from '../../src/api/error-codes.js';
import { RawClient } from '../helpers/raw-client.js';

let krill: RunningKrill;
let witness: RawClient;

beforeAll(async () => {
  krill = await startKrill({
    config: { 'socket.request.max.bytes': 1024 * 1024, 'message.max.bytes': 10_000, 'max.connections': 20 },
  });
  witness = await RawClient.connect(krill.bootstrap);
  const md = await witness.request(3, 12, { topics: [{ name: 'bad-input' }], allowAutoTopicCreation: true });
  expect(md.topics[0].errorCode).toBe(0);
});

afterAll(async () => {
  witness?.close();
  await krill?.stop();
});

/** The witness connection still gets answers, so the broker is up and unaffected. */
async function brokerStillServes(): Promise<void> {
  const res = await witness.request(18, 3, { clientSoftwareName: 'witness', clientSoftwareVersion: '1' });
  expect(res.errorCode).toBe(0);
  expect(res.apiKeys.length).toBeGreaterThan(5);
}

async function expectClosed(c: RawClient): Promise<void> {
  await expect(Promise.race([c.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 5000))])).resolves.toBe('closed');
}

describe('malformed input', () => {
  it('closes a connection whose size prefix exceeds socket.request.max.bytes, before buffering it', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(0x7fffffff);
    c.writeRaw(prefix);
    await expectClosed(c);
    await brokerStillServes();
  });

  it('closes a connection with a negative or tiny size prefix', async () => {
    for (const size of [-5, 3]) {
      const c = await RawClient.connect(krill.bootstrap);
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(size);
      c.writeRaw(prefix);
      await expectClosed(c);
    }
    await brokerStillServes();
  });

  it('closes a connection that sends an unknown API key', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const f = Buffer.alloc(14);
    f.writeInt32BE(10, 0);
    f.writeInt16BE(9999, 4);
    f.writeInt16BE(0, 6);
    f.writeInt32BE(1, 8);
    f.writeInt16BE(-1, 12);
    c.writeRaw(f);
    await expectClosed(c);
    await brokerStillServes();
  });

  it('closes a connection that sends garbage bytes', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const junk = Buffer.alloc(64, 0xab);
    junk.writeInt32BE(60, 0);
    c.writeRaw(junk);
    await expectClosed(c);
    await brokerStillServes();
  });

  it('closes a connection whose request body is truncated inside the frame', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const full = c.frame(3, 1, { topics: [{ name: 'bad-input' }, { name: 'other' }] });
    const cut = full.subarray(0, full.length - 6);
    cut.writeInt32BE(cut.length - 4, 0);
    c.writeRaw(cut);
    await expectClosed(c);
    await brokerStillServes();
  });

  it('waits on a frame that has not fully arrived and serves it once it has', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const full = c.frame(18, 2, {});
    const wait = c.nextFrame();
    c.writeRaw(full.subarray(0, 7));
    await new Promise((r) => setTimeout(r, 200));
    c.writeRaw(full.subarray(7));
    const frame = await wait;
    expect(frame.readInt16BE(4)).toBe(0); // ApiVersions error code
    c.close();
  });

  it('answers CORRUPT_MESSAGE for a batch with a wrong CRC and keeps the connection', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const batch = buildBatchSync({ records: [{ key: 'k', value: 'v' }] });
    batch[batch.length - 1] ^= 0xff;
    const res = await c.request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    c.close();
    await brokerStillServes();
  });

  it('answers CORRUPT_MESSAGE when the batch length runs past the record set', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const batch = buildBatchSync({ records: [{ key: 'k', value: 'v' }] });
    batch.writeInt32BE(batch.readInt32BE(8) + 100, 8);
    const res = await c.request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    c.close();
  });

  it('answers MESSAGE_TOO_LARGE for a batch over message.max.bytes', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const batch = buildBatchSync({ records: [{ key: 'k', value: Buffer.alloc(20_000, 1) }] });
    const res = await c.request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch }] }] });
    expect(res.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    c.close();
  });

  it('answers UNKNOWN_TOPIC_OR_PARTITION and INVALID_REQUIRED_ACKS', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const batch = buildBatchSync({ records: [{ key: 'k', value: 'v' }] });
    const a = await c.request(0, 7, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'bad-input', partitionData: [{ index: 99, records: batch }] }] });
    expect(a.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const b = await c.request(0, 7, { acks: 2, timeoutMs: 5000, topicData: [{ name: 'bad-input', partitionData: [{ index: 0, records: batch }] }] });
    expect(b.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    c.close();
  });

  it('refuses Produce v0-2 (message format v0/v1) by closing, though v0 is advertised', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const versions = await c.request(18, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(versions.apiKeys.find((k) => k.apiKey === 0)?.minVersion).toBe(0);
    c.writeRaw(c.frame(0, 2, { acks: 1, timeoutMs: 1000, topicData: [] }));
    await expectClosed(c);
  });

  it('answers an ApiVersions version newer than Krill knows with a v0 UNSUPPORTED_VERSION body (KIP-511)', async () => {
    const c = await RawClient.connect(krill.bootstrap);
    const f = Buffer.alloc(16);
    f.writeInt32BE(12, 0);
    f.writeInt16BE(18, 4);
    f.writeInt16BE(99, 6);
    f.writeInt32BE(42, 8);
    f.writeInt16BE(-1, 12);
    f.writeUInt8(0, 14); // header tagged fields
    f.writeUInt8(0, 15); // body (unknown to us)
    const wait = c.nextFrame();
    c.writeRaw(f.subarray(0, 15 + 1));
    const frame = await wait;
    expect(frame.readInt32BE(0)).toBe(42);
    expect(frame.readInt16BE(4)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const count = frame.readInt32BE(6);
    expect(count).toBeGreaterThan(5);
    expect(frame.readInt16BE(10)).toBe(0); // first entry: Produce
    c.close();
  });

  it('closes new connections beyond max.connections', async () => {
    const clients: RawClient[] = [];
    for (let i = 0; i < 25; i++) clients.push(await RawClient.connect(krill.bootstrap));
    const states = await Promise.all(
      clients.map((c) => Promise.race([c.closed.then(() => 'closed'), new Promise((r) => setTimeout(() => r('open'), 1000))])),
    );
    // 20 allowed, one is the witness.
    expect(states.filter((s) => s === 'closed').length).toBe(6);
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 200));
    await brokerStillServes();
  });
});
