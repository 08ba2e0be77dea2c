/**
 * Messages between Raft nodes, as a discriminated union on `type`.
 *
 * Every message carries `from`, `to` and the sender's `term`. The fields
 * follow what KRaft's RPCs carry, so a transport over the Kafka protocol can
 * map them one to one (index i ↔ offset i - 1, term ↔ epoch, commit ↔ high
 * watermark, "last index" ↔ log end offset):
 *
 *   vote-request        VoteRequest {CandidateEpoch, CandidateId, LastOffsetEpoch,
 *                       LastOffset, PreVote (KIP-996)}
 *   vote-response       VoteResponse {ErrorCode, LeaderId, LeaderEpoch, VoteGranted}
 *   append-request      Raft pushes where KRaft pulls: the follower's Fetch
 *                       {FetchOffset = prevLogIndex, LastFetchedEpoch = prevLogTerm}
 *                       answered with {Records = entries, HighWatermark = commit};
 *                       the first append of a term plays BeginQuorumEpoch.
 *   append-response     the follower's next Fetch: success ↔ FetchOffset = matchIndex;
 *                       rejection ↔ the leader's DivergingEpoch {Epoch, EndOffset}
 *                       computed here on the follower side (conflictTerm/conflictIndex).
 *   heartbeat-*         an empty Fetch round trip (keeps the follower's election
 *                       timer and the leader's check-quorum fresh).
 *   snapshot-request    FetchSnapshot's answer {SnapshotId {EndOffset, Epoch}, bytes};
 *                       Fetch's SnapshotId tells a follower it must fetch one.
 *   snapshot-response   the follower's next Fetch after loading the snapshot.
 *   timeout-now         EndQuorumEpoch {PreferredSuccessors = [to]}: campaign now.
 */
import type { Entry, NodeId, Snapshot } from './types.js';

interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/**
 * A (pre-)vote request. For a pre-vote `term` is the term the sender would
 * campaign at (its current term + 1); the sender's own term is unchanged.
 */
export interface VoteRequest extends Envelope {
  readonly type: 'vote-request';
  readonly preVote: boolean;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when the old leader asked for this election (leadership transfer): skips the leader-lease check. */
  readonly leadershipTransfer: boolean;
}

/**
 * A granted pre-vote echoes the request's (future) term; a rejection carries
 * the voter's current term.
 */
export interface VoteResponse extends Envelope {
  readonly type: 'vote-response';
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendRequest extends Envelope {
  readonly type: 'append-request';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  /** The leader's commit index (high watermark). */
  readonly commit: number;
}

export interface AppendResponse extends Envelope {
  readonly type: 'append-response';
  readonly success: boolean;
  /** On success, the follower's log matches the leader's through this index. */
  readonly matchIndex: number;
  /** On rejection, the prevLogIndex that failed the consistency check. */
  readonly rejectedIndex: number;
  /**
   * Fast back-off hint on rejection. conflictTerm is the follower's term at
   * rejectedIndex (0 when its log is shorter) and conflictIndex the first
   * index the follower holds with that term (its last index + 1 when shorter).
   */
  readonly conflictTerm: number;
  readonly conflictIndex: number;
  /** The follower's last log index, for the leader's status report. */
  readonly lastIndex: number;
}

export interface HeartbeatRequest extends Envelope {
  readonly type: 'heartbeat-request';
  /** min(leader commit, what the leader knows the follower holds): safe to commit blindly. */
  readonly commit: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeat-response';
}

export interface SnapshotRequest extends Envelope {
  readonly type: 'snapshot-request';
  readonly snapshot: Snapshot;
}

export interface SnapshotResponse extends Envelope {
  readonly type: 'snapshot-response';
  /** The follower's log now matches the leader's through this index. */
  readonly matchIndex: number;
}

export interface TimeoutNow extends Envelope {
  readonly type: 'timeout-now';
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | SnapshotResponse
  | TimeoutNow;

export type MessageType = Message['type'];

/** Messages only a leader sends: receiving one at your term means that sender leads the term. */
export function isLeaderMessage(m: Message): m is AppendRequest | HeartbeatRequest | SnapshotRequest | TimeoutNow {
  return m.type === 'append-request' || m.type === 'heartbeat-request' || m.type === 'snapshot-request' || m.type === 'timeout-now';
}
