import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionInput, type RetentionSegment } from '../../../src/log/retention-plan.js';

/** Segments of `size` bytes each at bases 0, 10, 20, ...; the last one is active. */
function segs(sizes: number[], timestamps: Array<number | null>): RetentionSegment[] {
  return sizes.map((sizeBytes, i) => ({ baseOffset: i * 10, sizeBytes, largestTimestamp: timestamps[i] ?? null }));
}

const base: RetentionInput = {
  segments: segs([100, 100, 100, 50], [1000, 2000, 3000, 4000]),
  logStartOffset: 0,
  logEndOffset: 35,
  highWatermark: 35,
  nowMs: 10_000,
  retentionMs: -1,
  retentionBytes: -1,
  deleteEnabled: true,
};

describe('planRetention', () => {
  const cases: Array<[string, Partial<RetentionInput>, { deleteCount: number; newLogStartOffset: number; reason: string | null }]> = [
    ['nothing when both limits are disabled', {}, { deleteCount: 0, newLogStartOffset: 0, reason: null }],
    // now - ts > retention.ms: 10000-1000=9000 > 7500, 10000-2000=8000 > 7500, 7000 is not.
    ['time: segments whose newest record expired', { retentionMs: 7500 }, { deleteCount: 2, newLogStartOffset: 20, reason: 'retention.ms' }],
    ['time: exactly retention.ms old stays', { retentionMs: 8000 }, { deleteCount: 1, newLogStartOffset: 10, reason: 'retention.ms' }],
    ['time: stops at the first young segment even if later ones are old', { retentionMs: 7500, segments: segs([100, 100, 100, 50], [1000, 9000, 1000, 4000]) }, { deleteCount: 1, newLogStartOffset: 10, reason: 'retention.ms' }],
    ['time: the active segment goes too when all is expired', { retentionMs: 1000 }, { deleteCount: 4, newLogStartOffset: 35, reason: 'retention.ms' }],
    ['time: an unknown timestamp stops the rule', { retentionMs: 1000, segments: segs([100, 100, 100, 50], [1000, null, 1000, 1000]) }, { deleteCount: 1, newLogStartOffset: 10, reason: 'retention.ms' }],
    // size 350: 350-100=250 >= 200 -> delete; 250-100=150 < 200 -> stop.
    ['size: while size - segment >= retention.bytes', { retentionBytes: 200 }, { deleteCount: 1, newLogStartOffset: 10, reason: 'retention.bytes' }],
    ['size: exact fit deletes', { retentionBytes: 150 }, { deleteCount: 2, newLogStartOffset: 20, reason: 'retention.bytes' }],
    ['size: log smaller than the limit', { retentionBytes: 1000 }, { deleteCount: 0, newLogStartOffset: 0, reason: null }],
    ['size: 0 empties the log', { retentionBytes: 0 }, { deleteCount: 4, newLogStartOffset: 35, reason: 'retention.bytes' }],
    // time takes segment 0; the rest is 250 bytes: 250-100=150 >= 100 deletes segment 1, 150-100 < 100 stops.
    ['time then size on the rest', { retentionMs: 8500, retentionBytes: 100 }, { deleteCount: 2, newLogStartOffset: 20, reason: 'retention.ms' }],
    ['high watermark bounds deletion', { retentionBytes: 0, highWatermark: 20 }, { deleteCount: 2, newLogStartOffset: 20, reason: 'retention.bytes' }],
    ['high watermark inside the first segment stops everything', { retentionBytes: 0, highWatermark: 9 }, { deleteCount: 0, newLogStartOffset: 0, reason: null }],
    ['policy compact: only segments below the log start go', { retentionMs: 0, retentionBytes: 0, deleteEnabled: false, logStartOffset: 25 }, { deleteCount: 2, newLogStartOffset: 25, reason: 'log-start-offset' }],
    ['log start on a boundary deletes the segment before it', { logStartOffset: 10 }, { deleteCount: 1, newLogStartOffset: 10, reason: 'log-start-offset' }],
    ['log start inside a segment keeps it', { logStartOffset: 5 }, { deleteCount: 0, newLogStartOffset: 5, reason: null }],
    ['an empty active segment is never deleted', { retentionMs: 0, segments: segs([100, 0], [1000, null]), logEndOffset: 10, highWatermark: 10 }, { deleteCount: 1, newLogStartOffset: 10, reason: 'retention.ms' }],
    ['new start never moves back', { retentionMs: 8500, logStartOffset: 15 }, { deleteCount: 1, newLogStartOffset: 15, reason: 'retention.ms' }],
  ];
  for (const [name, override, expected] of cases) {
    it(name, () => {
      expect(planRetention({ ...base, ...override })).toEqual(expected);
    });
  }
});
