/**
 * Raft entries as the metadata log stores them, in KRaft's layout: each
 * entry is one record at offset index - 1, in v2 record batches whose
 * partitionLeaderEpoch is the entries' term. A data entry's record value is
 * one framed metadata record (metadata-records.ts). The empty entry a leader
 * appends when its term starts is a control batch holding a LeaderChange
 * record (LeaderChangeMessage), as KRaft writes it.
 *
 * Batching: a run of data entries of one term persisted together becomes one
 * batch. A leader persists each proposal whole in one Ready, so a proposal is
 * never split across batches; followers receive whole batches, so what a
 * majority holds always ends on a proposal boundary and a change is
 * committed whole or not at all.
 */
import { Reader, Writer } from '../protocol/primitives/index.js';
import { buildBatchSync, decodeBatchSync } from '../protocol/records.js';
import { Attr, batchPositions, checkBatch } from '../protocol/record-batch.js';
import { ControlRecordType, encodeControlKey } from '../protocol/control-records.js';
import { decodeLeaderChangeMessage, encodeLeaderChangeMessage } from '../protocol/generated/leader-change-message.js';
import type { Entry } from './raft/types.js';

/** The metadata log's topic partition as Raft RPCs name it. */
export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;
/** KRaft's fixed topic id of __cluster_metadata (Uuid 0:1). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';

const EMPTY = new Uint8Array(0);
const LEADER_CHANGE_VERSION = 0;

export interface EncodeContext {
  /** Leader of a term, for LeaderChange records (-1 when not known). */
  leaderOf(term: number): number;
  readonly voters: readonly number[];
  readonly timestampMs: number;
}

export function leaderChangeValue(leaderId: number, voters: readonly number[]): Buffer {
  const w = new Writer(32);
  encodeLeaderChangeMessage(w, LEADER_CHANGE_VERSION, {
    version: LEADER_CHANGE_VERSION,
    leaderId,
    voters: voters.map((voterId) => ({ voterId })),
    grantingVoters: [],
  });
  return w.toBuffer();
}

export interface EncodedEntries {
  readonly bytes: Buffer;
  /** First index of each batch written, ascending. */
  readonly batchStarts: number[];
}

/**
 * Encodes contiguous entries as batches (base offsets index - 1;
 * PartitionLog rewrites them anyway). A data batch ends at a term change, at
 * a marker, and after any index in `splitAfter` (the batch ends of the
 * leader's log, so a follower keeps the leader's batch boundaries).
 */
export function encodeEntries(entries: readonly Entry[], ctx: EncodeContext, splitAfter: ReadonlySet<number> = NO_SPLITS): EncodedEntries {
  const batches: Buffer[] = [];
  const batchStarts: number[] = [];
  let i = 0;
  while (i < entries.length) {
    const first = entries[i]!;
    batchStarts.push(first.index);
    if (first.data.length === 0) {
      batches.push(
        buildBatchSync({
          baseOffset: first.index - 1,
          partitionLeaderEpoch: first.term,
          control: true,
          defaultTimestamp: ctx.timestampMs,
          records: [{ key: encodeControlKey(ControlRecordType.LeaderChange), value: leaderChangeValue(ctx.leaderOf(first.term), ctx.voters) }],
        }),
      );
      i += 1;
      continue;
    }
    let j = i + 1;
    while (j < entries.length && entries[j]!.term === first.term && entries[j]!.data.length > 0 && !splitAfter.has(entries[j - 1]!.index)) j += 1;
    batches.push(
      buildBatchSync({
        baseOffset: first.index - 1,
        partitionLeaderEpoch: first.term,
        defaultTimestamp: ctx.timestampMs,
        records: entries.slice(i, j).map((e) => ({ key: null, value: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength) })),
      }),
    );
    i = j;
  }
  return { bytes: batches.length === 1 ? batches[0]! : Buffer.concat(batches), batchStarts };
}

const NO_SPLITS: ReadonlySet<number> = new Set();

export interface DecodedEntries {
  readonly entries: Entry[];
  /** Leader named by each LeaderChange record, by term. */
  readonly leaders: Map<number, number>;
  /** First and last index of each batch, ascending. */
  readonly batchStarts: number[];
  readonly batchEnds: number[];
}

/**
 * Decodes whole, sound batches into entries (index = offset + 1). Stops at a
 * trailing partial batch; throws on a corrupt one. Control records other
 * than LeaderChange occupy their offset as an empty entry too.
 */
export function decodeEntries(bytes: Buffer): DecodedEntries {
  const entries: Entry[] = [];
  const leaders = new Map<number, number>();
  const batchStarts: number[] = [];
  const batchEnds: number[] = [];
  for (const [pos, size] of batchPositions(bytes)) {
    const problem = checkBatch(bytes, pos, pos + size);
    if (problem !== null) throw new Error(`corrupt metadata batch at byte ${pos}: ${problem}`);
    const batch = decodeBatchSync(bytes.subarray(pos, pos + size));
    const term = batch.header.partitionLeaderEpoch;
    const control = (batch.header.attributes & Attr.Control) !== 0;
    const base = Number(batch.header.baseOffset);
    for (const r of batch.records) {
      if (control) {
        if (r.control?.type === ControlRecordType.LeaderChange && r.value) {
          leaders.set(term, decodeLeaderChangeMessage(new Reader(r.value), LEADER_CHANGE_VERSION).leaderId);
        }
        entries.push({ index: r.offset + 1, term, data: EMPTY });
      } else {
        entries.push({ index: r.offset + 1, term, data: r.value ?? EMPTY });
      }
    }
    batchStarts.push(base + 1);
    batchEnds.push(base + batch.header.lastOffsetDelta + 1);
  }
  return { entries, leaders, batchStarts, batchEnds };
}
