/** Compacted logs refuse leader appends with keyless records (Kafka's LogValidator, INVALID_RECORD). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeylessRecordError } from '../../../src/log/errors.js';
import { resolveLogConfig } from '../../../src/log/log-config.js';
import { PartitionLog } from '../../../src/log/partition-log.js';
import { CompressionType } from '../../../src/protocol/record-batch.js';
import { tempDir } from './helpers.js';
import { keyedBatch } from './keyed.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(async () => {
  await cleanup();
});

const compacted = resolveLogConfig({ cleanupPolicy: { compact: true, delete: false } });

describe('keyless records on compacted logs', () => {
  it('refuses a leader append holding a keyless record, compressed or not, and moves nothing', async () => {
    const log = await PartitionLog.open(dir, compacted);
    try {
      await log.append(keyedBatch([{ key: 'a', value: '1' }]));
      for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Lz4]) {
        const bad = keyedBatch([{ key: 'b', value: '2' }, { key: null, value: '3' }, { key: 'c', value: null }, { key: null, value: '4' }], { compression });
        const err = await log.append(bad).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(KeylessRecordError);
        expect(err).toMatchObject({ kafkaError: 'INVALID_RECORD', kafkaErrorCode: 87 });
        expect((err as KeylessRecordError).recordErrors.map((r) => r.batchIndex)).toEqual([1, 3]);
        expect((err as KeylessRecordError).recordErrors[0]?.batchIndexErrorMessage).toContain('without key');
      }
      expect(log.logEndOffset).toBe(1);
      expect((await log.append(keyedBatch([{ key: 'd', value: '5' }], { compression: CompressionType.Gzip }))).baseOffset).toBe(1);
    } finally {
      await log.close();
    }
  });

  it('accepts keyless records on a log that is not compacted, and follower appends on a compacted one', async () => {
    const plain = await PartitionLog.open(`${dir}/plain`, resolveLogConfig({}));
    const follower = await PartitionLog.open(`${dir}/follower`, compacted);
    try {
      expect((await plain.append(keyedBatch([{ key: null, value: 'x' }]))).baseOffset).toBe(0);
      expect((await follower.append(keyedBatch([{ key: null, value: 'x' }]), { keepOffsets: true })).baseOffset).toBe(0);
    } finally {
      await plain.close();
      await follower.close();
    }
  });
});
