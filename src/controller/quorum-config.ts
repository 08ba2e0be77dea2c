/**
 * The quorum as the configuration describes it, and the Raft timings.
 *
 * - `process.roles`: broker, controller, or both (default both).
 * - `controller.quorum.voters` (id@host:port,...): the voters and where their
 *   CONTROLLER listener is. Empty means this node alone, a quorum of one
 *   that elects itself at start, with no controller listener needed. A node
 *   with the controller role must be a voter; a broker-only node is an
 *   observer that fetches the metadata log.
 * - Timings (KRaft's names and defaults): the core ticks every tickMs; a
 *   follower campaigns after [election, 2 × election) ms without hearing
 *   from the leader (controller.quorum.election.timeout.ms, 1000; its upper
 *   end is controller.quorum.fetch.timeout.ms, 2000, by default), a leader
 *   resigns when it has not heard from a majority for 1.5 ×
 *   controller.quorum.fetch.timeout.ms (KRaft's check-quorum), and parked
 *   follower fetches (500 ms) are the heartbeat.
 */
import { createHash } from 'node:crypto';
import type { BrokerConfig } from '../config/broker-config.js';
import { ConfigError } from '../config/broker-config.js';
import type { Address } from '../platform/kafka-client.js';
import { parseQuorumVoters } from './raft/voters.js';
import type { RaftTimings } from './raft-driver.js';

/** Quorum and broker-session timings; their defaults (KRaft's) are in src/config/broker-config.ts. */
export type TimingKey =
  | 'controller.quorum.election.timeout.ms'
  | 'controller.quorum.fetch.timeout.ms'
  | 'broker.session.timeout.ms'
  | 'broker.heartbeat.interval.ms'
  | 'controller.quorum.request.timeout.ms'
  | 'metadata.log.max.record.bytes.between.snapshots';

/** A positive integer setting. */
export function intSetting(config: BrokerConfig, key: TimingKey): number {
  const raw = config.raw(key);
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 1) throw new ConfigError(`${key} must be a positive integer, got ${raw}`);
  return v;
}

export interface Roles {
  readonly broker: boolean;
  readonly controller: boolean;
}

export function rolesOf(config: BrokerConfig): Roles {
  const roles = config.list('process.roles').map((r) => r.toLowerCase());
  for (const r of roles) if (r !== 'broker' && r !== 'controller') throw new ConfigError(`process.roles: unknown role ${r} (broker, controller)`);
  if (roles.length === 0) throw new ConfigError('process.roles is empty: give broker, controller or both');
  return { broker: roles.includes('broker'), controller: roles.includes('controller') };
}

export interface QuorumMembership {
  /** Voter ids, ascending. */
  readonly voterIds: number[];
  /** Controller-listener address of each voter; empty for a quorum of this node alone. */
  readonly addresses: Map<number, Address>;
  readonly isVoter: boolean;
}

export function membershipOf(config: BrokerConfig, nodeId: number, roles: Roles): QuorumMembership {
  const raw = config.raw('controller.quorum.voters');
  if (raw === null || raw.trim() === '') {
    if (!roles.controller) throw new ConfigError('a broker-only node needs controller.quorum.voters to find the controllers');
    return { voterIds: [nodeId], addresses: new Map(), isVoter: true };
  }
  const voters = parseQuorumVoters(raw);
  const addresses = new Map(voters.map((v) => [v.id, { host: v.host, port: v.port }] as const));
  const isVoter = addresses.has(nodeId);
  if (roles.controller && !isVoter) throw new ConfigError(`node ${nodeId} has the controller role but is not in controller.quorum.voters (${raw})`);
  if (!roles.controller && isVoter) throw new ConfigError(`node ${nodeId} is in controller.quorum.voters but process.roles has no controller role`);
  return { voterIds: [...addresses.keys()].sort((a, b) => a - b), addresses, isVoter };
}

export const TICK_MS = 50;

export function raftTimings(config: BrokerConfig): RaftTimings {
  const election = intSetting(config, 'controller.quorum.election.timeout.ms');
  const fetch = intSetting(config, 'controller.quorum.fetch.timeout.ms');
  const tickMs = Math.max(1, Math.min(TICK_MS, Math.floor(election / 10)));
  const electionTicks = Math.max(2, Math.round(election / tickMs));
  return {
    tickMs,
    electionTicks,
    heartbeatTicks: Math.max(1, Math.min(electionTicks - 1, Math.round(500 / tickMs))),
    checkQuorumTicks: Math.max(electionTicks, Math.round((fetch * 1.5) / tickMs)),
  };
}

/**
 * The cluster id a node uses when none is configured and none is stored:
 * derived from controller.quorum.voters, so every node started with the same
 * voter list agrees on it without a formatting step (Kafka requires
 * `kafka-storage format --cluster-id`). Null for a quorum of one node.
 */
export function defaultClusterId(config: BrokerConfig): string | null {
  const raw = config.raw('controller.quorum.voters');
  if (raw === null || raw.trim() === '') return null;
  const canonical = parseQuorumVoters(raw)
    .map((v) => `${v.id}@${v.host}:${v.port}`)
    .sort()
    .join(',');
  return createHash('sha256').update(`krill-cluster:${canonical}`).digest().subarray(0, 16).toString('base64url');
}
