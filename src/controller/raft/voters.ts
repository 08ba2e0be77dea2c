/**
 * Parsing `controller.quorum.voters`: a comma-separated list of
 * `id@host:port`, e.g. `1@127.0.0.1:9093,2@[::1]:9093,3@ctl-3:9093`.
 * Rules: ids are non-negative 32-bit integers and unique; ports are 1-65535
 * (a voter must be reachable at a known address, so no ephemeral port 0);
 * hosts are non-empty and IPv6 literals are written in brackets; whitespace
 * around entries is ignored. A pure helper: the driver resolves addresses.
 */
import type { NodeId } from './types.js';

export interface VoterAddress {
  readonly id: NodeId;
  readonly host: string;
  readonly port: number;
}

export class QuorumVotersError extends Error {
  readonly code = 'INVALID_QUORUM_VOTERS';
  constructor(message: string) {
    super(message);
    this.name = 'QuorumVotersError';
  }
}

const MAX_VOTERS = 1024;
const DIGITS = /^[0-9]+$/;

function parseEntry(raw: string): VoterAddress {
  const entry = raw.trim();
  const at = entry.indexOf('@');
  if (at <= 0) throw new QuorumVotersError(`voter '${entry}' is not in the form id@host:port`);
  const idText = entry.slice(0, at);
  if (!DIGITS.test(idText)) throw new QuorumVotersError(`voter id '${idText}' is not a non-negative integer`);
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id > 0x7fff_ffff) throw new QuorumVotersError(`voter id '${idText}' is out of range`);

  const address = entry.slice(at + 1);
  const colon = address.lastIndexOf(':');
  if (colon < 0) throw new QuorumVotersError(`voter '${entry}' has no port`);
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || host.length <= 2) throw new QuorumVotersError(`voter '${entry}' has a malformed IPv6 host`);
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    throw new QuorumVotersError(`voter '${entry}': an IPv6 host must be written in brackets`);
  }
  if (host.length === 0) throw new QuorumVotersError(`voter '${entry}' has an empty host`);
  if (!DIGITS.test(portText)) throw new QuorumVotersError(`voter '${entry}' has a non-numeric port`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new QuorumVotersError(`voter '${entry}' has port ${port} outside 1-65535`);
  return { id, host, port };
}

/** Parse `controller.quorum.voters`; throws QuorumVotersError on any malformed, duplicate or empty input. */
export function parseQuorumVoters(value: string): VoterAddress[] {
  const parts = value.split(',').filter((part) => part.trim().length > 0);
  if (parts.length === 0) throw new QuorumVotersError('controller.quorum.voters is empty');
  if (parts.length > MAX_VOTERS) throw new QuorumVotersError(`controller.quorum.voters lists more than ${MAX_VOTERS} voters`);
  const voters = parts.map(parseEntry);
  const seen = new Set<NodeId>();
  for (const voter of voters) {
    if (seen.has(voter.id)) throw new QuorumVotersError(`voter id ${voter.id} appears more than once`);
    seen.add(voter.id);
  }
  return voters;
}
