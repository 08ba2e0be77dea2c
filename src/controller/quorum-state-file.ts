/**
 * The `quorum-state` file: the Raft term (leader epoch) and vote that must
 * be durable before any message that depends on them leaves the node. Same
 * content and JSON shape as Kafka's FileQuorumStateStore (QuorumStateData,
 * `data_version` 0): clusterId, leaderId, leaderEpoch, votedId,
 * appliedOffset, currentVoters.
 *
 * Written atomically (temp file, fsync, rename, fsync of the directory), so
 * after a crash the file holds either the old state or the new one.
 */
import { join } from 'node:path';
import type { QuorumStateData } from '../protocol/generated/raft/quorum-state-data.js';
import { readFileIfExists, writeFileAtomic } from '../platform/files.js';

export const QUORUM_STATE_FILE = 'quorum-state';

export interface QuorumState {
  readonly leaderEpoch: number;
  readonly votedId: number;
  readonly leaderId: number;
}

export class QuorumStateError extends Error {
  readonly code = 'KRILL_QUORUM_STATE';
}

type QuorumStateJson = Pick<QuorumStateData, 'clusterId' | 'leaderId' | 'leaderEpoch' | 'votedId'> & {
  appliedOffset: number;
  currentVoters: Array<{ voterId: number }>;
  data_version: number;
};

function intField(json: Record<string, unknown>, name: string, fallback: number): number {
  const v = json[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new QuorumStateError(`quorum-state field ${name} is not an integer`);
  return v;
}

/** Reads dir/quorum-state; null when there is none (a new node). */
export async function readQuorumState(dir: string): Promise<QuorumState | null> {
  const bytes = await readFileIfExists(join(dir, QUORUM_STATE_FILE));
  if (bytes === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new QuorumStateError(`${join(dir, QUORUM_STATE_FILE)} is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null) throw new QuorumStateError(`${join(dir, QUORUM_STATE_FILE)} is not a JSON object`);
  const o = json as Record<string, unknown>;
  const leaderEpoch = intField(o, 'leaderEpoch', 0);
  if (leaderEpoch < 0) throw new QuorumStateError('quorum-state leaderEpoch is negative');
  return { leaderEpoch, votedId: intField(o, 'votedId', -1), leaderId: intField(o, 'leaderId', -1) };
}

export async function writeQuorumState(dir: string, clusterId: string, state: QuorumState, voters: readonly number[]): Promise<void> {
  const json: QuorumStateJson = {
    clusterId,
    leaderId: state.leaderId,
    leaderEpoch: state.leaderEpoch,
    votedId: state.votedId,
    appliedOffset: 0,
    currentVoters: voters.map((voterId) => ({ voterId })),
    data_version: 0,
  };
  await writeFileAtomic(dir, QUORUM_STATE_FILE, Buffer.from(JSON.stringify(json), 'utf8'));
}
