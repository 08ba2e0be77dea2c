/**
 * The crash loop: idempotent producers write continuously with acks=all
 * while the broker process is killed with SIGKILL at random moments
 * (sometimes during start-up and recovery). After every restart the
 * partitions are read back and checked:
 *
 * - plain topic: offsets dense from 0; every acknowledged record at the
 *   offset its acknowledgement named; every record present is acknowledged
 *   or belongs to the one batch in flight, and that batch is there whole or
 *   not at all; no value twice (a retried batch is deduplicated by
 *   producer id and sequence, across restarts);
 * - compacted topic (cleaner running, small segments): offsets increasing,
 *   no value twice, nothing unacknowledged except the batch in flight, and
 *   for every key the newest acknowledged value (or a newer one) present.
 *
 * A producer retries its batch with the same sequence until it is
 * acknowledged, reconnecting across restarts, exactly as an idempotent
 * client does.
 */
import { batchPositions } from '../../src/protocol/record-batch.js';
import { buildBatchSync, decodeBatchSync } from '../../src/protocol/records.js';
import { RawClient } from '../helpers/raw-client.js';
import { BrokerProcess, freePort } from './broker-process.js';

export interface CrashLoopOptions {
  readonly dataDir: string;
  readonly kills: number;
  readonly seed: number;
  /** Longest time producers run between a restart and the next kill. */
  readonly maxRunMs?: number;
  readonly log?: (line: string) => void;
}

export interface CrashLoopReport {
  readonly kills: number;
  readonly killsDuringStartup: number;
  readonly restartMs: number[];
  readonly acked: Record<string, number>;
  /** Records readable after the last restart (fewer than acknowledged on the compacted topic once the cleaner ran). */
  readonly present: Record<string, number>;
  /** In-flight batches found written after a restart (their acknowledgement was lost); the retry must be deduplicated. */
  readonly unacknowledgedWritten: number;
}

const PLAIN = 'crash-plain';
const COMPACT = 'crash-compact';
const PLAIN_PARTITIONS = 3;
const KEYS = 40;

interface Written {
  readonly offset: number;
  readonly value: string;
  readonly key: string | null;
}

/** One idempotent producer on one partition; in-flight 1, so batches land in order. */
class Producer {
  readonly acked: Written[] = [];
  inFlight: { seq: number; values: string[] } | null = null;
  #pid = -1n;
  #epoch = -1;
  #nextSeq = 0;
  #nextN = 0;
  #conn: RawClient | null = null;
  #paused = true;
  #idle: (() => void) | null = null;
  #stopped = false;
  #loop: Promise<void> | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly keyed: boolean,
    private readonly bootstrap: string,
    private readonly rnd: () => number,
  ) {}

  start(): void {
    this.#loop = this.#run();
  }

  resume(): void {
    this.#paused = false;
  }

  /** Resolves once the producer is between attempts with nothing in flight on the wire. */
  pause(): Promise<void> {
    this.#paused = true;
    return new Promise((resolve) => {
      this.#idle = resolve;
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#paused = false;
    await this.#loop;
    this.#conn?.close();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#paused) {
        this.#idle?.();
        this.#idle = null;
        await sleep(20);
        continue;
      }
      try {
        await this.#attempt();
      } catch {
        this.#conn?.close();
        this.#conn = null;
        await sleep(30);
      }
    }
  }

  async #attempt(): Promise<void> {
    this.#conn ??= await RawClient.connect(this.bootstrap, { timeoutMs: 2000 });
    const c = this.#conn;
    if (this.#pid < 0n) {
      const r = await c.request(22, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { timeoutMs: 5000 });
      if (r.errorCode !== 0) throw new Error(`InitProducerId error ${r.errorCode}`);
      this.#pid = r.producerId;
      this.#epoch = r.producerEpoch;
    }
    if (this.inFlight === null) {
      const count = 1 + Math.floor(this.rnd() * 5);
      const values = Array.from({ length: count }, () => `${this.topic}/${this.partition}/${this.#nextN++}`);
      this.inFlight = { seq: this.#nextSeq, values };
      this.#nextSeq += count;
    }
    const batch = this.inFlight;
    const records = buildBatchSync({
      producerId: this.#pid,
      producerEpoch: this.#epoch,
      baseSequence: batch.seq,
      defaultTimestamp: Date.now(),
      records: batch.values.map((v) => ({ key: this.keyed ? keyOf(v) : null, value: `${v}|${'p'.repeat(60)}` })),
    });
    const res = await c.request(
      0,
      9,
      { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: this.topic, partitionData: [{ index: this.partition, records }] }] },
      { timeoutMs: 15_000 },
    );
    const pr = res.responses[0]?.partitionResponses[0];
    if (pr === undefined) throw new Error('empty produce response');
    if (pr.errorCode !== 0) throw new Error(`produce error ${pr.errorCode}`);
    const base = Number(pr.baseOffset);
    batch.values.forEach((value, i) => this.acked.push({ offset: base + i, value, key: this.keyed ? keyOf(value) : null }));
    this.inFlight = null;
  }
}

function keyOf(value: string): string {
  return `key-${Number(value.split('/')[2]) % KEYS}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Every record of a partition, from the log start to the high watermark. */
async function readPartition(c: RawClient, topic: string, partition: number): Promise<Written[]> {
  const out: Written[] = [];
  let offset = 0n;
  for (;;) {
    const res = await c.request(
      1,
      12,
      {
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: 8 << 20,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 4 << 20 }] }],
        forgottenTopicsData: [],
        rackId: '',
      },
      { timeoutMs: 30_000 },
    );
    const p = res.responses[0]?.partitions[0];
    if (p === undefined || p.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} at ${offset}: error ${p?.errorCode}`);
    const bytes = p.records ?? Buffer.alloc(0);
    let next = offset;
    for (const [pos, size] of batchPositions(bytes)) {
      const b = decodeBatchSync(bytes.subarray(pos, pos + size));
      for (const r of b.records) {
        if (BigInt(r.offset) < offset) continue;
        out.push({ offset: r.offset, value: (r.value?.toString('utf8') ?? '').split('|')[0] as string, key: r.key?.toString('utf8') ?? null });
      }
      next = BigInt(Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1);
    }
    if (next >= p.highWatermark || next === offset) return out;
    offset = next;
  }
}

function fail(message: string): never {
  throw new Error(message);
}

/** Returns whether the batch in flight was found written. */
function checkPlain(p: Producer, present: Written[]): boolean {
  const where = `${p.topic}-${p.partition}`;
  present.forEach((r, i) => r.offset === i || fail(`${where}: offset ${r.offset} at position ${i} (offsets must be dense from 0)`));
  const byOffset = new Map(present.map((r) => [r.offset, r.value]));
  for (const a of p.acked) {
    if (byOffset.get(a.offset) !== a.value) fail(`${where}: acknowledged ${a.value} at ${a.offset} reads as ${byOffset.get(a.offset)}`);
  }
  const extra = present.slice(p.acked.length).map((r) => r.value);
  const inFlight = p.inFlight?.values ?? [];
  const wholeOrNothing = extra.length === 0 || (extra.length === inFlight.length && extra.every((v, i) => v === inFlight[i]));
  if (!wholeOrNothing) fail(`${where}: unacknowledged records ${JSON.stringify(extra)} (in flight: ${JSON.stringify(inFlight)})`);
  return extra.length > 0;
}

function checkCompacted(p: Producer, present: Written[]): void {
  const where = `${p.topic}-${p.partition}`;
  for (let i = 1; i < present.length; i++) {
    if ((present[i] as Written).offset <= (present[i - 1] as Written).offset) fail(`${where}: offsets not increasing at ${i}`);
  }
  const values = new Set<string>();
  const known = new Set([...p.acked.map((a) => a.value), ...(p.inFlight?.values ?? [])]);
  for (const r of present) {
    if (values.has(r.value)) fail(`${where}: ${r.value} appears twice`);
    values.add(r.value);
    if (!known.has(r.value)) fail(`${where}: ${r.value} was never written`);
  }
  const n = (v: string): number => Number(v.split('/')[2]);
  const newestPresent = new Map<string, number>();
  for (const r of present) newestPresent.set(r.key as string, Math.max(newestPresent.get(r.key as string) ?? -1, n(r.value)));
  const newestAcked = new Map<string, number>();
  for (const a of p.acked) newestAcked.set(a.key as string, n(a.value));
  for (const [key, v] of newestAcked) {
    if ((newestPresent.get(key) ?? -1) < v) fail(`${where}: newest acknowledged value ${v} of ${key} is gone`);
  }
}

export async function runCrashLoop(opts: CrashLoopOptions): Promise<CrashLoopReport> {
  let x = opts.seed >>> 0 || 1;
  const rnd = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const log = opts.log ?? (() => undefined);
  const port = await freePort();
  const bootstrap = `127.0.0.1:${port}`;
  const overrides = { 'log.cleaner.backoff.ms': 150, 'log.retention.check.interval.ms': 500, 'group.initial.rebalance.delay.ms': 0 };
  const maxRunMs = opts.maxRunMs ?? 1500;
  let broker = BrokerProcess.start(opts.dataDir, port, overrides);
  await broker.waitReady(bootstrap);
  const topics = [
    { name: PLAIN, numPartitions: PLAIN_PARTITIONS, replicationFactor: 1, assignments: [], configs: [{ name: 'segment.bytes', value: '65536' }] },
    {
      name: COMPACT,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'segment.bytes', value: '8192' },
        { name: 'min.cleanable.dirty.ratio', value: '0.01' },
      ],
    },
  ];
  const admin = await RawClient.connect(bootstrap);
  const created = await admin.request(19, 5, { topics, timeoutMs: 10_000, validateOnly: false }).catch(async (err: unknown) => {
    await broker.kill();
    throw new Error(`creating the topics failed: ${String(err)}\n--- broker output ---\n${broker.output}`);
  });
  admin.close();
  for (const t of created.topics) if (t.errorCode !== 0) fail(`creating ${t.name}: error ${t.errorCode}`);
  const producers = [
    ...Array.from({ length: PLAIN_PARTITIONS }, (_, p) => new Producer(PLAIN, p, false, bootstrap, rnd)),
    new Producer(COMPACT, 0, true, bootstrap, rnd),
  ];
  for (const p of producers) p.start();
  const restartMs: number[] = [];
  let killsDuringStartup = 0;
  let unacknowledgedWritten = 0;
  const present: Record<string, number> = {};
  try {
    for (let k = 1; k <= opts.kills; k++) {
      for (const p of producers) p.resume();
      await sleep(100 + rnd() * maxRunMs);
      await broker.kill();
      // Sometimes the next kill lands during start-up (recovery in progress).
      if (rnd() < 0.25) {
        broker = BrokerProcess.start(opts.dataDir, port, overrides);
        await sleep(200 + rnd() * 1200);
        await broker.kill();
        killsDuringStartup++;
      }
      await Promise.all(producers.map((p) => p.pause()));
      broker = BrokerProcess.start(opts.dataDir, port, overrides);
      const readyMs = await broker.waitReady(bootstrap);
      restartMs.push(readyMs);
      const c = await RawClient.connect(bootstrap);
      try {
        for (const p of producers) {
          const records = await readPartition(c, p.topic, p.partition);
          present[`${p.topic}-${p.partition}`] = records.length;
          if (p.keyed) checkCompacted(p, records);
          else if (checkPlain(p, records)) unacknowledgedWritten++;
        }
      } catch (err) {
        throw new Error(`after kill ${k}: ${(err as Error).message}\n--- broker output ---\n${broker.output}`);
      } finally {
        c.close();
      }
      log(`kill ${k}: restart ready in ${readyMs} ms; acked ${producers.map((p) => p.acked.length).join('/')}`);
    }
  } finally {
    await Promise.all(producers.map((p) => p.stop()));
    await broker.stop();
  }
  return {
    kills: opts.kills + killsDuringStartup,
    killsDuringStartup,
    restartMs,
    acked: Object.fromEntries(producers.map((p) => [`${p.topic}-${p.partition}`, p.acked.length])),
    present,
    unacknowledgedWritten,
  };
}
