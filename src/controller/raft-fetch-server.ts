/**
 * The leader's side of KRaft replication: answering Fetch and FetchSnapshot
 * from followers (voters) and observers (broker-only nodes).
 *
 * A Fetch carries the replica's log end offset F and the epoch of its last
 * record E. On the owner queue the leader checks (F, E) against its log:
 * - F below the snapshot: answer with the SnapshotId (fetch the snapshot);
 * - the log holds F with epoch E: by log matching the replica's log equals
 *   ours through F, which the core takes as an acknowledgement from a voter
 *   (an append-response with matchIndex F; observers are not members and
 *   the core ignores them); answer with the batches after F and the high
 *   watermark;
 * - otherwise: DivergingEpoch {largest epoch ≤ E here, its end offset}, as
 *   KRaft answers; the replica truncates to there and fetches again.
 * When there is nothing new (no entries after F, high watermark already
 * sent), the fetch is parked until the log or the commit index moves, the
 * leadership changes, or MaxWaitMs passes: the empty answer is then the
 * heartbeat. Only durable entries are served.
 */
import type { FetchPartition } from '../protocol/generated/fetch-request.js';
import type { PartitionData } from '../protocol/generated/fetch-response.js';
import type { PartitionSnapshot } from '../protocol/generated/fetch-snapshot-response.js';
import type { FetchSnapshotRequest } from '../protocol/generated/fetch-snapshot-request.js';
import type { Input } from '../protocol/primitives/index.js';
import { ErrorCode } from '../api/error-codes.js';
import type { Clock } from '../platform/clock.js';
import type { RaftDriver } from './raft-driver.js';
import type { FileRaftStorage } from './file-raft-storage.js';
import { METADATA_PARTITION } from './metadata-batches.js';
import { NO_NODE } from './raft/types.js';

export interface ReplicaFetchState {
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}

type Decision =
  | { kind: 'error'; errorCode: number; leaderId: number; term: number }
  | { kind: 'snapshot'; term: number }
  | { kind: 'diverging'; term: number; epoch: number; endOffset: number }
  | { kind: 'valid'; term: number; fetchOffset: number };

export class RaftFetchServer {
  /** What each replica last told us (for DescribeQuorum). */
  readonly replicas = new Map<number, ReplicaFetchState>();
  /** The high watermark last sent to each replica. */
  readonly #sentHw = new Map<number, number>();

  constructor(
    private readonly selfId: number,
    private readonly driver: RaftDriver,
    private readonly storage: FileRaftStorage,
    private readonly clock: Clock,
  ) {}

  async fetch(replicaId: number, p: FetchPartition, maxWaitMs: number, maxBytes: number): Promise<Input<PartitionData>> {
    const decision = await this.driver.submit((node): Decision => {
      const st = node.status();
      if (st.role !== 'leader') return { kind: 'error', errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: st.leaderId, term: st.term };
      if (p.currentLeaderEpoch > st.term) return { kind: 'error', errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderId: st.leaderId, term: st.term };
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch < st.term) {
        return { kind: 'error', errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderId: st.leaderId, term: st.term };
      }
      const f = Number(p.fetchOffset);
      const snapshotIndex = this.storage.firstIndex() - 1;
      if (!Number.isSafeInteger(f) || f < 0) return { kind: 'error', errorCode: ErrorCode.INVALID_REQUEST, leaderId: st.leaderId, term: st.term };
      if (f < snapshotIndex) return { kind: 'snapshot', term: st.term };
      if (f <= this.storage.lastIndex() && this.storage.term(f) === p.lastFetchedEpoch) {
        node.step({ type: 'append-response', from: replicaId, to: this.selfId, term: st.term, success: true, matchIndex: f, rejectedIndex: 0, conflictTerm: 0, conflictIndex: 0, lastIndex: f });
        return { kind: 'valid', term: st.term, fetchOffset: f };
      }
      const end = this.storage.endOffsetForEpoch(p.lastFetchedEpoch);
      if (!end) return { kind: 'snapshot', term: st.term };
      return { kind: 'diverging', term: st.term, epoch: end.epoch, endOffset: Math.min(end.endOffset, f) };
    });
    const base = { partitionIndex: METADATA_PARTITION, errorCode: 0, logStartOffset: BigInt(this.storage.firstIndex() - 1) };
    switch (decision.kind) {
      case 'error':
        return { ...base, errorCode: decision.errorCode, highWatermark: -1n, currentLeader: { leaderId: decision.leaderId, leaderEpoch: decision.term }, records: null };
      case 'snapshot':
        return this.#snapshotAnswer(decision.term);
      case 'diverging':
        this.#noteFetch(replicaId, Number(p.fetchOffset));
        return {
          ...base,
          highWatermark: BigInt(this.#hw()),
          divergingEpoch: { epoch: decision.epoch, endOffset: BigInt(decision.endOffset) },
          currentLeader: { leaderId: this.selfId, leaderEpoch: decision.term },
          records: null,
        };
      case 'valid':
        this.#noteFetch(replicaId, decision.fetchOffset);
        return this.#serve(replicaId, decision.fetchOffset, decision.term, maxWaitMs, maxBytes);
    }
  }

  /** Commit index, capped at what is durable here. */
  #hw(): number {
    return Math.min(this.driver.peekStatus().commit, this.storage.lastIndex());
  }

  #snapshotAnswer(term: number): Input<PartitionData> {
    const meta = this.storage.snapshot().meta;
    return {
      partitionIndex: METADATA_PARTITION,
      errorCode: 0,
      highWatermark: BigInt(this.#hw()),
      logStartOffset: BigInt(meta.index),
      snapshotId: { endOffset: BigInt(meta.index), epoch: meta.term },
      currentLeader: { leaderId: this.selfId, leaderEpoch: term },
      records: null,
    };
  }

  #noteFetch(replicaId: number, offset: number): void {
    const now = this.clock.now();
    const prev = this.replicas.get(replicaId);
    const caughtUp = offset >= this.storage.lastIndex();
    this.replicas.set(replicaId, {
      logEndOffset: offset,
      lastFetchTimestamp: now,
      lastCaughtUpTimestamp: caughtUp ? now : (prev?.lastCaughtUpTimestamp ?? -1),
    });
  }

  async #serve(replicaId: number, f: number, term: number, maxWaitMs: number, maxBytes: number): Promise<Input<PartitionData>> {
    const deadline = this.clock.now() + Math.max(0, maxWaitMs);
    for (;;) {
      const st = this.driver.peekStatus();
      if (st.role !== 'leader' || st.term !== term || this.driver.stopped) {
        return { partitionIndex: METADATA_PARTITION, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, highWatermark: -1n, currentLeader: { leaderId: st.leaderId === this.selfId ? NO_NODE : st.leaderId, leaderEpoch: st.term }, records: null };
      }
      const last = this.storage.lastIndex();
      const hw = this.#hw();
      const remaining = deadline - this.clock.now();
      if (last > f || hw > (this.#sentHw.get(replicaId) ?? -1) || remaining <= 0) {
        let records: Buffer | null = null;
        if (last > f) {
          try {
            records = await this.storage.readBatches(f, maxBytes);
          } catch {
            return this.#snapshotAnswer(term); // the log start moved past f (a snapshot was just taken)
          }
        }
        this.#sentHw.set(replicaId, hw);
        return {
          partitionIndex: METADATA_PARTITION,
          errorCode: 0,
          highWatermark: BigInt(hw),
          logStartOffset: BigInt(this.storage.firstIndex() - 1),
          currentLeader: { leaderId: this.selfId, leaderEpoch: term },
          records,
        };
      }
      await this.driver.waitForChange(remaining);
    }
  }

  /** FetchSnapshot: a chunk of the current snapshot's checkpoint bytes from `position`. */
  fetchSnapshot(req: FetchSnapshotRequest): Input<PartitionSnapshot> {
    const p = req.topics[0]?.partitions[0];
    const st = this.driver.peekStatus();
    const leader = { leaderId: st.leaderId, leaderEpoch: st.term };
    if (!p) return { index: METADATA_PARTITION, errorCode: ErrorCode.INVALID_REQUEST, currentLeader: leader };
    if (st.role !== 'leader') return { index: p.partition, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentLeader: leader };
    if (p.currentLeaderEpoch !== st.term) {
      return { index: p.partition, errorCode: p.currentLeaderEpoch < st.term ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH, currentLeader: leader };
    }
    const snap = this.storage.snapshot();
    if (Number(p.snapshotId.endOffset) !== snap.meta.index || p.snapshotId.epoch !== snap.meta.term) {
      return { index: p.partition, errorCode: ErrorCode.SNAPSHOT_NOT_FOUND, snapshotId: p.snapshotId, currentLeader: leader };
    }
    const data = snap.data;
    const pos = Number(p.position);
    if (!Number.isSafeInteger(pos) || pos < 0 || pos > data.length) {
      return { index: p.partition, errorCode: ErrorCode.POSITION_OUT_OF_RANGE, snapshotId: p.snapshotId, currentLeader: leader, size: BigInt(data.length) };
    }
    const n = Math.max(1, Math.min(req.maxBytes > 0 ? req.maxBytes : data.length, data.length - pos));
    return {
      index: p.partition,
      errorCode: 0,
      snapshotId: p.snapshotId,
      currentLeader: leader,
      size: BigInt(data.length),
      position: BigInt(pos),
      unalignedRecords: Buffer.from(data.buffer, data.byteOffset + pos, Math.min(n, data.length - pos)),
    };
  }
}

