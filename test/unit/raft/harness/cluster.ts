/**
 * A deterministic in-memory cluster for scenario scripts: every node is a
 * RaftNode over a MemoryRaftStorage ("disk"), messages wait in one FIFO queue
 * until a script delivers them, and each node's Ready is processed right
 * after every input (persist, queue messages, apply, advance). Messages
 * between nodes on different sides of a partition are dropped both when sent
 * and when delivered.
 *
 * The state machine is a list of applied strings (empty entries, the
 * leaders' term markers, are skipped); a snapshot's data is that list as JSON.
 */
import { seededRandom } from '../../../../src/platform/random.js';
import { MemoryRaftStorage } from '../../../../src/controller/raft/memory-storage.js';
import { RaftNode } from '../../../../src/controller/raft/node.js';
import type { Message } from '../../../../src/controller/raft/messages.js';
import type { NodeId, Ready } from '../../../../src/controller/raft/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ClusterOptions {
  voters: NodeId[];
  observers: NodeId[];
  electionTicks: number;
  heartbeatTicks: number;
  preVote: boolean;
  checkQuorum: boolean;
}

export interface ClusterMember {
  readonly id: NodeId;
  node: RaftNode | undefined;
  readonly storage: MemoryRaftStorage;
  /** The state machine: applied data, in order. */
  applied: string[];
  /** How many times this node has started (seeds its PRNG, so restarts draw fresh timeouts). */
  incarnation: number;
}

export class ScenarioCluster {
  readonly members = new Map<NodeId, ClusterMember>();
  pending: Message[] = [];
  #groups: NodeId[][] | undefined;
  #options: ClusterOptions | undefined;

  addNodes(options: ClusterOptions): void {
    this.#options = options;
    for (const id of [...options.voters, ...options.observers]) {
      const member: ClusterMember = { id, node: undefined, storage: new MemoryRaftStorage(), applied: [], incarnation: 0 };
      this.members.set(id, member);
      this.#start(member);
    }
  }

  #start(member: ClusterMember): void {
    const options = this.#options!;
    member.incarnation += 1;
    const snapshot = member.storage.snapshot();
    member.applied = snapshot.meta.index > 0 ? (JSON.parse(decoder.decode(snapshot.data)) as string[]) : [];
    member.node = new RaftNode({
      id: member.id,
      voters: options.voters,
      observers: options.observers,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      preVote: options.preVote,
      checkQuorum: options.checkQuorum,
      random: seededRandom(member.id * 1000 + member.incarnation),
      storage: member.storage,
    });
    this.process(member.id);
  }

  member(id: NodeId): ClusterMember {
    const member = this.members.get(id);
    if (!member) throw new Error(`no node ${id}`);
    return member;
  }

  /** The running node, or an error if it is crashed. */
  node(id: NodeId): RaftNode {
    const node = this.member(id).node;
    if (!node) throw new Error(`node ${id} is crashed`);
    return node;
  }

  ids(): NodeId[] {
    return [...this.members.keys()];
  }

  /** Drain a node's Ready batches: persist, queue messages, apply, advance. */
  process(id: NodeId): void {
    const member = this.member(id);
    const node = member.node;
    if (!node) return;
    while (node.hasReady()) {
      const rd = node.ready();
      member.storage.persist(rd);
      // A partition loses what is sent across it (and, in deliver, what was in flight).
      this.pending.push(...rd.messages.filter((m) => this.connected(m.from, m.to)));
      this.#apply(member, rd);
      node.advance(rd);
    }
  }

  #apply(member: ClusterMember, rd: Ready): void {
    if (rd.snapshot) member.applied = JSON.parse(decoder.decode(rd.snapshot.data)) as string[];
    for (const entry of rd.committedEntries) {
      if (entry.data.length > 0) member.applied.push(decoder.decode(entry.data));
    }
  }

  tick(id: NodeId): void {
    this.node(id).tick();
    this.process(id);
  }

  campaign(id: NodeId): void {
    this.node(id).campaign();
    this.process(id);
  }

  propose(id: NodeId, data: string[]): ReturnType<RaftNode['propose']> {
    const result = this.node(id).propose(data.map((d) => encoder.encode(d)));
    this.process(id);
    return result;
  }

  transfer(from: NodeId, to: NodeId): boolean {
    const ok = this.node(from).transferLeadership(to);
    this.process(from);
    return ok;
  }

  /** Snapshot node `id`'s applied state at its applied index and compact its log. */
  compact(id: NodeId): void {
    const member = this.member(id);
    const applied = this.node(id).status().applied;
    member.storage.compact(applied, encoder.encode(JSON.stringify(member.applied)));
  }

  crash(id: NodeId): void {
    this.member(id).node = undefined;
  }

  restart(id: NodeId): void {
    const member = this.member(id);
    if (member.node) throw new Error(`node ${id} is running`);
    this.#start(member);
  }

  partition(groups: NodeId[][]): void {
    this.#groups = groups;
  }

  heal(): void {
    this.#groups = undefined;
  }

  connected(a: NodeId, b: NodeId): boolean {
    if (!this.#groups) return true;
    return this.#groups.some((g) => g.includes(a) && g.includes(b));
  }

  /** Drop pending messages matching the filter. Returns how many. */
  drop(filter: (m: Message) => boolean): number {
    const before = this.pending.length;
    this.pending = this.pending.filter((m) => !filter(m));
    return before - this.pending.length;
  }

  /** Deliver the messages pending now (not the ones they cause) that match the filter. Returns how many were stepped. */
  deliver(filter: (m: Message) => boolean = () => true): number {
    const batch = this.pending.filter(filter);
    this.pending = this.pending.filter((m) => !filter(m));
    let delivered = 0;
    for (const m of batch) {
      const target = this.members.get(m.to);
      if (!target?.node || !this.connected(m.from, m.to)) continue;
      target.node.step(m);
      this.process(m.to);
      delivered += 1;
    }
    return delivered;
  }

  /** Deliver until no message is pending. Throws if it does not settle. */
  stabilize(maxRounds = 1_000): void {
    for (let round = 0; round < maxRounds; round += 1) {
      for (const id of this.ids()) this.process(id);
      if (this.pending.length === 0) return;
      this.deliver();
    }
    throw new Error(`cluster did not stabilize within ${maxRounds} rounds`);
  }
}
