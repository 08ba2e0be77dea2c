/**
 * How the push-style Raft core's messages travel as KRaft's RPCs (KIP-595).
 * Offsets and indexes: entry i is the record at offset i - 1, so a log whose
 * last index is L has log end offset L, and commit index C is high
 * watermark C.
 *
 *   vote-request / -response  Vote (52) v1: CandidateEpoch = term,
 *                             CandidateId, LastOffsetEpoch = last term,
 *                             LastOffset = log end offset; the answer's
 *                             LeaderEpoch is the term the core answered with.
 *                             Pre-vote (KIP-996) and leadership transfer ride
 *                             in Krill tagged fields of the partition
 *                             (KIP-996 adds PreVote as a v2 field; the
 *                             schemas here stop at v1).
 *   first message of a term   BeginQuorumEpoch (53): a follower steps it as a
 *                             heartbeat from the new leader (commit 0).
 *   timeout-now               EndQuorumEpoch (54) with the target as the
 *                             preferred candidate.
 *   append / heartbeat        Followers and observers pull with Fetch (1):
 *                             FetchOffset = log end offset, LastFetchedEpoch
 *                             = last term. The leader checks the pair against
 *                             its log (an ack for the core), answers with
 *                             records and the high watermark, or a
 *                             DivergingEpoch, or a SnapshotId; a fetch with
 *                             nothing to return is parked up to MaxWaitMs.
 *   snapshot-request          SnapshotId in the Fetch answer, then chunked
 *                             FetchSnapshot (59) calls.
 */
import type { TaggedField } from '../protocol/primitives/index.js';
import { METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID } from './metadata-batches.js';
import type { FetchRequest } from '../protocol/generated/fetch-request.js';

/** Krill tagged fields on VoteRequest.PartitionData (tags far above Kafka's). */
export const PRE_VOTE_TAG = 10_000;
export const LEADERSHIP_TRANSFER_TAG = 10_001;

export const VOTE_VERSION = 1;
export const BEGIN_QUORUM_EPOCH_VERSION = 1;
export const END_QUORUM_EPOCH_VERSION = 1;
export const FETCH_VERSION = 17;
export const FETCH_SNAPSHOT_VERSION = 1;
export const DESCRIBE_QUORUM_VERSION = 2;

/** KRaft's wait for a parked follower fetch (KafkaRaftClient's fetchMaxWaitMs). */
export const RAFT_FETCH_MAX_WAIT_MS = 500;
export const RAFT_FETCH_MAX_BYTES = 8 * 1024 * 1024;
export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export function boolTag(tag: number, value: boolean): TaggedField {
  return [tag, Buffer.from([value ? 1 : 0])];
}

export function readBoolTag(tags: readonly TaggedField[] | undefined, tag: number): boolean {
  const t = tags?.find(([k]) => k === tag);
  return t !== undefined && t[1].length === 1 && t[1][0] === 1;
}

/** Whether a Fetch asks for the metadata log (a Raft follower or observer). */
export function isRaftFetch(req: FetchRequest, version: number): boolean {
  return req.topics.some((t) => (version >= 13 ? t.topicId === METADATA_TOPIC_ID : t.topic === METADATA_TOPIC));
}

/** The replica id of a Fetch (ReplicaState from v15, ReplicaId before). */
export function fetchReplicaId(req: FetchRequest, version: number): number {
  return version >= 15 ? req.replicaState.replicaId : req.replicaId;
}

export { METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID };
