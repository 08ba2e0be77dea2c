/**
 * kafkajs as the reference client: what a user's Node.js application gets
 * from Krill with a popular pure-JS client and its default settings. kafkajs
 * is a devDependency; when it is missing (an installed `krill bench`) the
 * scenario reports itself skipped.
 *
 * The consumer needs the group APIs (FindCoordinator, JoinGroup, SyncGroup);
 * when the broker does not advertise them the scenario is skipped with that
 * reason instead of timing out.
 */
import type { Kafka } from 'kafkajs';
import { epochMicros, fillValue } from './batches.js';
import { Histogram } from './histogram.js';
import type { KafkajsConsumeJob, KafkajsProduceJob, Target, WorkerResult } from './types.js';
import { WireConnection } from './wire.js';
import { WindowMeter, type ProgressSink } from './window-meter.js';

const GROUP_APIS = [10, 11, 14];

export class SkippedError extends Error {}

async function client(target: Target): Promise<Kafka> {
  let mod: typeof import('kafkajs');
  try {
    mod = await import('kafkajs');
  } catch {
    throw new SkippedError('kafkajs is not installed (it is a devDependency)');
  }
  const { Kafka: KafkaClass, logLevel } = mod;
  return new KafkaClass({ clientId: 'krill-bench-kafkajs', brokers: [`${target.host}:${target.port}`], logLevel: logLevel.NOTHING });
}

export async function runKafkajsProduce(job: KafkajsProduceJob, progress: ProgressSink): Promise<WorkerResult> {
  const kafka = await client(job.target);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const messages = Array.from({ length: job.messagesPerSend }, (_, i) => ({ value: fillValue(job.recordBytes, i + 1, false) }));
  const bytesPerSend = job.messagesPerSend * job.recordBytes;
  const meter = new WindowMeter(job.measureStartMs, job.measureEndMs, progress);
  const latency = new Histogram();
  const loop = async (): Promise<void> => {
    while (Date.now() < job.measureEndMs && meter.errors < 100) {
      const t0 = epochMicros();
      try {
        await producer.send({ topic: job.topic, acks: job.acks, messages });
        if (meter.add(Date.now(), job.messagesPerSend, bytesPerSend)) latency.record(epochMicros() - t0);
      } catch (err) {
        meter.error((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrentSends }, loop));
  await producer.disconnect();
  return meter.result({ latency: latency.toJSON(), extra: { ackedRecords: meter.total.records } });
}

async function groupApisMissing(target: Target): Promise<number[]> {
  const conn = await WireConnection.open(target.host, target.port);
  try {
    const res = await conn.request(18, 3, { clientSoftwareName: 'krill-bench', clientSoftwareVersion: '0' });
    const keys = new Set(res.apiKeys.map((k) => k.apiKey));
    return GROUP_APIS.filter((k) => !keys.has(k));
  } finally {
    conn.close();
  }
}

export async function runKafkajsConsume(job: KafkajsConsumeJob, progress: ProgressSink): Promise<WorkerResult> {
  const missing = await groupApisMissing(job.target);
  if (missing.length > 0) throw new SkippedError(`the broker does not offer the group APIs kafkajs consumers need (keys ${missing.join(', ')})`);
  const kafka = await client(job.target);
  const consumer = kafka.consumer({ groupId: `krill-bench-${process.pid}` });
  await consumer.connect();
  await consumer.subscribe({ topic: job.topic, fromBeginning: true });
  let meter: WindowMeter | null = null;
  let got = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumed ${got} of ${job.totalRecords} records in ${job.timeoutMs} ms`)), job.timeoutMs);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            meter ??= new WindowMeter(Date.now(), Infinity, progress);
            let bytes = 0;
            for (const m of batch.messages) bytes += m.value?.length ?? 0;
            got += batch.messages.length;
            meter.add(Date.now(), batch.messages.length, bytes);
            if (got >= job.totalRecords) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  const m = meter as WindowMeter | null;
  if (m === null) throw new Error('kafkajs consumer received nothing');
  m.close();
  return m.result();
}
