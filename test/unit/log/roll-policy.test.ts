import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writevAt } from '../../../src/log/file-io.js';
import { type RollInput, shouldRoll } from '../../../src/log/roll-policy.js';
import { tempDir } from './helpers.js';

const limits = { segmentBytes: 1000, segmentMs: 60_000 };
const base: RollInput = {
  segmentBaseOffset: 100,
  segmentBytes: 500,
  pendingBytes: 0,
  indexFull: false,
  rollBaseTimestamp: 1_000_000,
  segmentCreatedMs: 0,
  nowMs: 5_000_000,
  appendBytes: 100,
  appendLastOffset: 200,
  appendMaxTimestamp: 1_000_500,
};

describe('shouldRoll', () => {
  it('rolls when the append would pass segment.bytes, counting pending bytes', () => {
    expect(shouldRoll(base, limits)).toBe(false);
    expect(shouldRoll({ ...base, appendBytes: 500 }, limits)).toBe(false);
    expect(shouldRoll({ ...base, appendBytes: 501 }, limits)).toBe(true);
    expect(shouldRoll({ ...base, pendingBytes: 401 }, limits)).toBe(true);
  });

  it('never rolls an empty segment except for relative offset overflow', () => {
    const empty = { ...base, segmentBytes: 0, indexFull: true, appendBytes: 5000, rollBaseTimestamp: null };
    expect(shouldRoll(empty, limits)).toBe(false);
    expect(shouldRoll({ ...empty, appendLastOffset: 100 + 0x7fffffff }, limits)).toBe(false);
    expect(shouldRoll({ ...empty, appendLastOffset: 100 + 0x80000000 }, limits)).toBe(true);
  });

  it('rolls on a full index', () => {
    expect(shouldRoll({ ...base, indexFull: true }, limits)).toBe(true);
  });

  it('measures segment.ms by record timestamps, else by the clock since creation', () => {
    expect(shouldRoll({ ...base, appendMaxTimestamp: 1_060_000 }, limits)).toBe(false);
    expect(shouldRoll({ ...base, appendMaxTimestamp: 1_060_001 }, limits)).toBe(true);
    const untimed = { ...base, rollBaseTimestamp: -1, segmentCreatedMs: 4_000_000 };
    expect(shouldRoll(untimed, limits)).toBe(true); // 1,000,000 ms since creation
    expect(shouldRoll({ ...untimed, nowMs: 4_050_000 }, limits)).toBe(false);
    expect(shouldRoll({ ...base, rollBaseTimestamp: null, segmentCreatedMs: 4_999_999 }, limits)).toBe(false);
  });
});

describe('writevAt', () => {
  it('writes more buffers than one writev takes, back to back at the position', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const path = join(dir, 'f');
      const fh = await open(path, 'w+');
      const bufs = Array.from({ length: 3000 }, (_, i) => Buffer.alloc((i % 7) + (i % 3 === 0 ? 0 : 1), i & 0xff));
      await fh.write(Buffer.from('HEAD'), 0, 4, 0);
      await writevAt(fh, bufs, 4);
      await fh.close();
      expect(await readFile(path)).toEqual(Buffer.concat([Buffer.from('HEAD'), ...bufs]));
    } finally {
      await cleanup();
    }
  });
});
