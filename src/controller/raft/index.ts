/**
 * The pure Raft core (no I/O): see node.ts for the driver contract and
 * core.ts for the rules. Depends only on src/platform.
 */
export { RaftNode, type RaftConfig, type RaftStatus, type PeerStatus } from './node.js';
export { MemoryRaftStorage, type MemoryStorageInit } from './memory-storage.js';
export { committedIndex, voteResult, hasQuorum, majority, isLogUpToDate, type VoteOutcome } from './quorum.js';
export { parseQuorumVoters, QuorumVotersError, type VoterAddress } from './voters.js';
export type * from './messages.js';
export { isLeaderMessage } from './messages.js';
export * from './types.js';
