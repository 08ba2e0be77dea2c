/**
 * RaftTransport: carries the core's messages over the Kafka protocol on the
 * CONTROLLER listener (see raft-wire.ts for the mapping) and answers the
 * Raft RPCs other nodes send here.
 *
 * Outbound: vote requests become Vote calls whose answers are stepped back;
 * a new leader announces itself with BeginQuorumEpoch to every other voter
 * (retried until each accepts or the term ends); timeout-now becomes
 * EndQuorumEpoch; appends, heartbeats and their answers are not sent at
 * all, because followers pull (RaftFetcher) and the leader answers
 * (RaftFetchServer).
 *
 * Inbound: Vote, BeginQuorumEpoch and EndQuorumEpoch are stepped into the
 * core on the driver's queue and answered once the resulting Ready is
 * durable (a granted vote is on disk before the candidate learns of it).
 */
import type { Logger } from 'pino';
import type { Clock } from '../platform/clock.js';
import type { Address, KafkaClientPool } from '../platform/kafka-client.js';
import type { Input } from '../protocol/primitives/index.js';
import type { VoteRequest as VoteRequestData } from '../protocol/generated/vote-request.js';
import type { VoteResponse } from '../protocol/generated/vote-response.js';
import type { BeginQuorumEpochRequest } from '../protocol/generated/begin-quorum-epoch-request.js';
import type { BeginQuorumEpochResponse } from '../protocol/generated/begin-quorum-epoch-response.js';
import type { EndQuorumEpochRequest } from '../protocol/generated/end-quorum-epoch-request.js';
import type { EndQuorumEpochResponse } from '../protocol/generated/end-quorum-epoch-response.js';
import type { DescribeQuorumResponse, ReplicaState } from '../protocol/generated/describe-quorum-response.js';
import type { FetchRequest } from '../protocol/generated/fetch-request.js';
import type { FetchResponse } from '../protocol/generated/fetch-response.js';
import type { FetchSnapshotRequest } from '../protocol/generated/fetch-snapshot-request.js';
import type { FetchSnapshotResponse } from '../protocol/generated/fetch-snapshot-response.js';
import { ErrorCode } from '../api/error-codes.js';
import type { RaftDriver } from './raft-driver.js';
import type { FileRaftStorage } from './file-raft-storage.js';
import { RaftFetchServer } from './raft-fetch-server.js';
import { RaftFetcher } from './raft-fetcher.js';
import { METADATA_PARTITION, METADATA_TOPIC, METADATA_TOPIC_ID } from './metadata-batches.js';
import {
  BEGIN_QUORUM_EPOCH_VERSION,
  boolTag,
  END_QUORUM_EPOCH_VERSION,
  fetchReplicaId,
  LEADERSHIP_TRANSFER_TAG,
  PRE_VOTE_TAG,
  RAFT_FETCH_MAX_BYTES,
  RAFT_FETCH_MAX_WAIT_MS,
  readBoolTag,
  VOTE_VERSION,
} from './raft-wire.js';
import type { Message, VoteResponse as VoteResponseMessage } from './raft/messages.js';
import { NO_NODE, type SoftState } from './raft/types.js';

const RPC_TIMEOUT_MS = 2000;
const BEGIN_EPOCH_RETRY_MS = 500;

export interface RaftTransportOptions {
  readonly selfId: number;
  readonly clusterId: string;
  readonly storage: FileRaftStorage;
  readonly pool: KafkaClientPool;
  /** Controller-listener address of every voter (empty for a quorum of this node alone). */
  readonly voters: ReadonlyMap<number, Address>;
  /** This node's controller listener endpoints, announced as LeaderEndpoints. */
  readonly endpoints: ReadonlyArray<{ name: string; host: string; port: number }>;
  readonly clock: Clock;
  readonly logger: Logger;
}

export class RaftTransport {
  readonly #o: RaftTransportOptions;
  #driver: RaftDriver | null = null;
  #server: RaftFetchServer | null = null;
  #fetcher: RaftFetcher | null = null;
  /** Vote answers the core produced, by candidate, waiting for the inbound Vote call. */
  readonly #voteReplies = new Map<number, VoteResponseMessage>();
  /** Term whose BeginQuorumEpoch broadcast is running. */
  #announcing = -1;
  #stopped = false;

  constructor(opts: RaftTransportOptions) {
    this.#o = opts;
  }

  /** Wires the driver (it is built with `send` and `onSoftState` of this transport). */
  attach(driver: RaftDriver): void {
    this.#driver = driver;
    this.#server = new RaftFetchServer(this.#o.selfId, driver, this.#o.storage, this.#o.clock);
    this.#fetcher = new RaftFetcher({ ...this.#o, driver });
  }

  get #d(): RaftDriver {
    if (!this.#driver) throw new Error('RaftTransport used before attach()');
    return this.#driver;
  }

  start(): void {
    this.#fetcher?.start();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#fetcher?.stop();
  }

  /** Replica fetch states the leader has seen (DescribeQuorum). */
  get replicaStates(): RaftFetchServer['replicas'] {
    return this.#server?.replicas ?? new Map();
  }

  // ------------------------------------------------------------ outbound

  /** The driver's output: every message the core emits, once its Ready is durable. */
  send(m: Message): void {
    switch (m.type) {
      case 'vote-request':
        void this.#sendVote(m);
        return;
      case 'vote-response':
        this.#voteReplies.set(m.to, m);
        return;
      case 'timeout-now':
        void this.#sendEndQuorumEpoch(m.to, m.term);
        return;
      default:
        return; // replication messages: followers pull (RaftFetcher / RaftFetchServer)
    }
  }

  onSoftState(s: SoftState, term: number): void {
    if (s.role === 'leader' && this.#announcing !== term) {
      this.#announcing = term;
      for (const id of this.#o.voters.keys()) if (id !== this.#o.selfId) void this.#announce(id, term);
    }
  }

  async #sendVote(m: Extract<Message, { type: 'vote-request' }>): Promise<void> {
    const address = this.#o.voters.get(m.to);
    if (!address) return;
    try {
      const resp = await this.#o.pool.request(
        address,
        'raft',
        52,
        VOTE_VERSION,
        {
          clusterId: this.#o.clusterId,
          voterId: m.to,
          topics: [
            {
              topicName: METADATA_TOPIC,
              partitions: [
                {
                  partitionIndex: METADATA_PARTITION,
                  candidateEpoch: m.term,
                  candidateId: m.from,
                  lastOffsetEpoch: m.lastLogTerm,
                  lastOffset: BigInt(m.lastLogIndex),
                  _unknownTags: [boolTag(PRE_VOTE_TAG, m.preVote), boolTag(LEADERSHIP_TRANSFER_TAG, m.leadershipTransfer)],
                },
              ],
            },
          ],
        },
        RPC_TIMEOUT_MS,
      );
      const p = resp.topics[0]?.partitions[0];
      if (resp.errorCode !== 0 || !p || p.errorCode !== 0) return;
      await this.#d.step({ type: 'vote-response', from: m.to, to: m.from, term: p.leaderEpoch, preVote: m.preVote, granted: p.voteGranted });
    } catch (err) {
      this.#o.logger.debug({ to: m.to, err: (err as Error).message }, 'vote request failed');
    }
  }

  /** BeginQuorumEpoch to one voter, retried until it accepts or this term's leadership ends. */
  async #announce(voter: number, term: number): Promise<void> {
    const address = this.#o.voters.get(voter);
    while (address && !this.#stopped) {
      const st = this.#d.peekStatus();
      if (st.role !== 'leader' || st.term !== term) return;
      try {
        const resp = await this.#o.pool.request(
          address,
          'raft',
          53,
          BEGIN_QUORUM_EPOCH_VERSION,
          {
            clusterId: this.#o.clusterId,
            voterId: voter,
            topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: this.#o.selfId, leaderEpoch: term }] }],
            leaderEndpoints: this.#o.endpoints.map((e) => ({ ...e })),
          },
          RPC_TIMEOUT_MS,
        );
        const p = resp.topics[0]?.partitions[0];
        if (resp.errorCode === 0 && p && p.errorCode === 0) return;
        if (p && p.leaderEpoch > term) return; // a newer term exists; the core will learn of it
      } catch (err) {
        this.#o.logger.debug({ voter, err: (err as Error).message }, 'BeginQuorumEpoch failed; retrying');
      }
      await new Promise<void>((resolve) => this.#o.clock.setTimeout(resolve, BEGIN_EPOCH_RETRY_MS));
    }
  }

  async #sendEndQuorumEpoch(to: number, term: number): Promise<void> {
    const address = this.#o.voters.get(to);
    if (!address) return;
    try {
      await this.#o.pool.request(
        address,
        'raft',
        54,
        END_QUORUM_EPOCH_VERSION,
        {
          clusterId: this.#o.clusterId,
          topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, leaderId: this.#o.selfId, leaderEpoch: term, preferredCandidates: [{ candidateId: to }] }] }],
          leaderEndpoints: this.#o.endpoints.map((e) => ({ ...e })),
        },
        RPC_TIMEOUT_MS,
      );
    } catch (err) {
      this.#o.logger.debug({ to, err: (err as Error).message }, 'EndQuorumEpoch failed');
    }
  }

  // ------------------------------------------------------------ inbound

  #clusterMismatch(clusterId: string | null): boolean {
    return clusterId !== null && clusterId !== '' && clusterId !== this.#o.clusterId;
  }

  #leaderAndEpoch(): { leaderId: number; leaderEpoch: number } {
    const st = this.#d.peekStatus();
    return { leaderId: st.leaderId, leaderEpoch: st.term };
  }

  async handleVote(req: VoteRequestData): Promise<Input<VoteResponse>> {
    const p = req.topics[0]?.partitions[0];
    if (this.#clusterMismatch(req.clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    if (!p || req.topics[0]!.topicName !== METADATA_TOPIC) return { errorCode: ErrorCode.INVALID_REQUEST, topics: [] };
    const answer = (errorCode: number, granted: boolean, leaderEpoch?: number): Input<VoteResponse> => {
      const le = this.#leaderAndEpoch();
      return {
        errorCode: 0,
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: p.partitionIndex, errorCode, leaderId: le.leaderId, leaderEpoch: leaderEpoch ?? le.leaderEpoch, voteGranted: granted }] }],
      };
    };
    if (req.voterId >= 0 && req.voterId !== this.#o.selfId) return answer(ErrorCode.INCONSISTENT_VOTER_SET, false);
    const candidate = p.candidateId;
    this.#voteReplies.delete(candidate);
    await this.#d.step({
      type: 'vote-request',
      from: candidate,
      to: this.#o.selfId,
      term: p.candidateEpoch,
      preVote: readBoolTag(p._unknownTags, PRE_VOTE_TAG),
      leadershipTransfer: readBoolTag(p._unknownTags, LEADERSHIP_TRANSFER_TAG),
      lastLogIndex: Number(p.lastOffset),
      lastLogTerm: p.lastOffsetEpoch,
    });
    const reply = this.#voteReplies.get(candidate);
    this.#voteReplies.delete(candidate);
    return answer(0, reply?.granted ?? false, reply?.term);
  }

  async handleBeginQuorumEpoch(req: BeginQuorumEpochRequest): Promise<Input<BeginQuorumEpochResponse>> {
    const p = req.topics[0]?.partitions[0];
    if (this.#clusterMismatch(req.clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    if (!p) return { errorCode: ErrorCode.INVALID_REQUEST, topics: [] };
    const before = this.#d.peekStatus();
    let errorCode = 0;
    if (p.leaderEpoch < before.term) errorCode = ErrorCode.FENCED_LEADER_EPOCH;
    else if (!this.#o.voters.has(p.leaderId)) errorCode = ErrorCode.INCONSISTENT_VOTER_SET;
    else await this.#d.step({ type: 'heartbeat-request', from: p.leaderId, to: this.#o.selfId, term: p.leaderEpoch, commit: 0 });
    return { errorCode: 0, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: p.partitionIndex, errorCode, ...this.#leaderAndEpoch() }] }] };
  }

  async handleEndQuorumEpoch(req: EndQuorumEpochRequest): Promise<Input<EndQuorumEpochResponse>> {
    const p = req.topics[0]?.partitions[0];
    if (this.#clusterMismatch(req.clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    if (!p) return { errorCode: ErrorCode.INVALID_REQUEST, topics: [] };
    const st = this.#d.peekStatus();
    let errorCode = 0;
    if (p.leaderEpoch < st.term) errorCode = ErrorCode.FENCED_LEADER_EPOCH;
    const preferred = [...p.preferredSuccessors, ...p.preferredCandidates.map((c) => c.candidateId)];
    if (errorCode === 0 && preferred[0] === this.#o.selfId && this.#o.voters.has(p.leaderId)) {
      await this.#d.step({ type: 'timeout-now', from: p.leaderId, to: this.#o.selfId, term: p.leaderEpoch });
    }
    return { errorCode: 0, topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: p.partitionIndex, errorCode, ...this.#leaderAndEpoch() }] }] };
  }

  /** A Fetch of the metadata log from a follower or observer. */
  async handleFetch(req: FetchRequest, version: number): Promise<Input<FetchResponse>> {
    const replicaId = fetchReplicaId(req, version);
    const topic = req.topics[0];
    const p = topic?.partitions[0];
    const topicKey = version >= 13 ? { topicId: METADATA_TOPIC_ID } : { topic: METADATA_TOPIC };
    if (this.#clusterMismatch(req.clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, sessionId: 0, responses: [] };
    if (!p || replicaId < 0 || p.partition !== METADATA_PARTITION) {
      return { errorCode: 0, sessionId: 0, responses: [{ ...topicKey, partitions: [{ partitionIndex: p?.partition ?? 0, errorCode: ErrorCode.INVALID_REQUEST, records: null }] }] };
    }
    const maxWait = Math.min(Math.max(0, req.maxWaitMs), RAFT_FETCH_MAX_WAIT_MS * 4);
    const maxBytes = Math.max(1, Math.min(req.maxBytes > 0 ? req.maxBytes : RAFT_FETCH_MAX_BYTES, p.partitionMaxBytes > 0 ? p.partitionMaxBytes : RAFT_FETCH_MAX_BYTES));
    const data = await this.#server!.fetch(replicaId, p, maxWait, maxBytes);
    return { errorCode: 0, sessionId: 0, responses: [{ ...topicKey, partitions: [data] }] };
  }

  handleFetchSnapshot(req: FetchSnapshotRequest): Input<FetchSnapshotResponse> {
    if (this.#clusterMismatch(req.clusterId)) return { errorCode: ErrorCode.INCONSISTENT_CLUSTER_ID, topics: [] };
    const name = req.topics[0]?.name ?? METADATA_TOPIC;
    return { errorCode: 0, topics: [{ name, partitions: [this.#server!.fetchSnapshot(req)] }] };
  }

  /** DescribeQuorum's partition answer (from the leader's status; an error elsewhere). */
  describeQuorum(): Input<DescribeQuorumResponse> {
    const st = this.#d.peekStatus();
    const now = this.#o.clock.now();
    if (st.role !== 'leader') {
      return {
        errorCode: 0,
        topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, leaderId: st.leaderId, leaderEpoch: st.term, highWatermark: -1n }] }],
      };
    }
    const seen = this.replicaStates;
    const state = (id: number, logEndOffset: number): Input<ReplicaState> => {
      const s = seen.get(id);
      const self = id === this.#o.selfId;
      return {
        replicaId: id,
        logEndOffset: BigInt(logEndOffset),
        lastFetchTimestamp: BigInt(self ? now : (s?.lastFetchTimestamp ?? -1)),
        lastCaughtUpTimestamp: BigInt(self ? now : (s?.lastCaughtUpTimestamp ?? -1)),
      };
    };
    const voters = this.#d.voters;
    const currentVoters = voters.map((id) => state(id, id === this.#o.selfId ? st.lastIndex : (st.progress?.get(id)?.match ?? seen.get(id)?.logEndOffset ?? -1)));
    const observers = [...seen.entries()].filter(([id]) => !voters.includes(id)).map(([id, s]) => state(id, s.logEndOffset));
    return {
      errorCode: 0,
      topics: [
        {
          topicName: METADATA_TOPIC,
          partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: 0, leaderId: st.leaderId, leaderEpoch: st.term, highWatermark: BigInt(st.commit), currentVoters, observers }],
        },
      ],
      nodes: [...this.#o.voters.entries()].map(([nodeId, a]) => ({ nodeId, listeners: [{ name: 'CONTROLLER', host: a.host, port: a.port }] })),
    };
  }

  /** The leader as this node knows it (NO_NODE when none). */
  get leaderId(): number {
    return this.#driver?.peekStatus().leaderId ?? NO_NODE;
  }
}
