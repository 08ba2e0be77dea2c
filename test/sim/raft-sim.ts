/**
 * A seeded, deterministic simulator for the Raft core. One seed fixes
 * everything: the fault rates, every drop, delay and crash, and every
 * node's election timeouts, so a failing seed replays exactly.
 *
 * Each step is one tick of simulated time:
 *   1. faults: change or heal a partition, crash a node, restart one whose
 *      downtime is over, ask the leader to transfer leadership;
 *   2. tick every running node (each with its own clock rate, so clocks drift);
 *   3. deliver the messages due now, in random order;
 *   4. propose new entries to whichever node thinks it leads; compact logs;
 *   5. check every safety invariant (./invariants.ts).
 *
 * The network drops, duplicates and delays (hence reorders) messages, and
 * drops everything across a partition. A crash loses all volatile state
 * (unpersisted entries, role, unsent messages); a "torn" crash happens in
 * the middle of persisting a Ready and keeps only a prefix of it (snapshot,
 * then entries, then hard state), and sends nothing. A restarted node
 * rebuilds its state machine from its snapshot and the committed log.
 *
 * After the fault phase, the liveness phase heals the partition, restarts
 * every node and stops losing messages; a leader must then be elected and a
 * proposal committed and applied everywhere within a bound.
 */
import { forkRandom, seededRandom, type Random } from '../../src/platform/random.js';
import { MemoryRaftStorage } from '../../src/controller/raft/memory-storage.js';
import { RaftNode } from '../../src/controller/raft/node.js';
import type { Message } from '../../src/controller/raft/messages.js';
import type { NodeId, Ready } from '../../src/controller/raft/types.js';
import { InvariantChecker, SafetyViolation } from './invariants.js';
import { applyEntry, decodeState, EMPTY_STATE, encodeState, entryData, type DigestState } from './state-machine.js';

export interface SimOptions {
  readonly seed: number;
  readonly voters: number;
  readonly observers?: number;
  /** Steps (ticks) of the fault phase. */
  readonly steps: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Ticks allowed, after faults stop, to elect a leader and commit a proposal everywhere. */
  readonly livenessTicks?: number;
  /** Use the production defaults (pre-vote, check-quorum, batch sizes) instead of drawing them from the seed. */
  readonly defaultRaftConfig?: boolean;
  /** Called with every trace line (deliveries, faults, proposals) as it happens, for debugging a seed. */
  readonly onEvent?: (line: string) => void;
}

export interface SimStats {
  readonly seed: number;
  readonly steps: number;
  readonly delivered: number;
  readonly dropped: number;
  readonly crashes: number;
  readonly tornWrites: number;
  readonly partitions: number;
  readonly snapshotsSent: number;
  readonly leadersElected: number;
  readonly committed: number;
  readonly maxTerm: number;
  /** Ticks from the end of the fault phase until a leader was established, and until the marker applied everywhere. */
  readonly electionTicksAfterHeal: number;
  readonly commitTicksAfterHeal: number;
}

/** Everything drawn from the seed up front, so seeds differ in character, not just in detail. */
interface Faults {
  dropRate: number;
  duplicateRate: number;
  maxDelay: number;
  partitionRate: number;
  /** Per step: stall one link, or all of one node's links, for a while; its messages arrive late, in a burst. */
  clogRate: number;
  crashRate: number;
  /** Per step: crash or cut off whichever node leads (leader churn reaches the interesting interleavings). */
  leaderFaultRate: number;
  tornRate: number;
  /** Chance that a Ready's write takes up to slowDiskTicks ticks instead of completing at once. */
  slowDiskRate: number;
  slowDiskTicks: number;
  proposeRate: number;
  transferRate: number;
  compactAfter: number;
  preVote: boolean;
  checkQuorum: boolean;
  maxEntriesPerAppend: number;
  maxInflightAppends: number;
  /** Backpressure: the leader refuses proposals beyond this many uncommitted entries. */
  maxUncommittedEntries: number;
}

interface SimNode {
  readonly id: NodeId;
  readonly storage: MemoryRaftStorage;
  node: RaftNode | undefined;
  /** A Ready being written by a slow disk; the node keeps taking input meanwhile. */
  writing: { readonly rd: Ready; readonly doneAt: number } | undefined;
  state: DigestState;
  clockRate: number;
  downUntil: number;
}

interface InFlight {
  readonly at: number;
  readonly msg: Message;
}

interface Clog {
  readonly from: NodeId | undefined;
  readonly to: NodeId | undefined;
  readonly until: number;
}

export class SimFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimFailure';
  }
}

const TRACE_LENGTH = 60;

function describeMessage(m: Message): string {
  switch (m.type) {
    case 'vote-request':
      return `${m.preVote ? 'prevote' : 'vote'} ${m.from}->${m.to} t${m.term} last=${m.lastLogIndex}@${m.lastLogTerm}`;
    case 'vote-response':
      return `${m.preVote ? 'prevote' : 'vote'}-resp ${m.from}->${m.to} t${m.term} ${m.granted ? 'yes' : 'no'}`;
    case 'append-request':
      return `append ${m.from}->${m.to} t${m.term} prev=${m.prevLogIndex}@${m.prevLogTerm} n=${m.entries.length} commit=${m.commit}`;
    case 'append-response':
      return `append-resp ${m.from}->${m.to} t${m.term} ${m.success ? `ok ${m.matchIndex}` : `reject ${m.rejectedIndex} hint=${m.conflictIndex}@${m.conflictTerm}`}`;
    case 'snapshot-request':
      return `snapshot ${m.from}->${m.to} t${m.term} at ${m.snapshot.meta.index}@${m.snapshot.meta.term}`;
    default:
      return `${m.type} ${m.from}->${m.to} t${m.term}`;
  }
}

export class RaftSimulation {
  readonly options: Required<Omit<SimOptions, 'onEvent'>>;
  readonly #onEvent: ((line: string) => void) | undefined;
  readonly #rng: Random;
  readonly #faults: Faults;
  readonly #nodes: SimNode[] = [];
  readonly #voters: NodeId[];
  readonly #observers: NodeId[];
  readonly #checker = new InvariantChecker();
  readonly #trace: string[] = [];
  #inFlight: InFlight[] = [];
  #clogs: Clog[] = [];
  #groups: NodeId[][] | undefined;
  #now = 0;
  #lossy = true;
  #proposals = 0;
  #stats = { delivered: 0, dropped: 0, crashes: 0, tornWrites: 0, partitions: 0, snapshotsSent: 0 };

  constructor(options: SimOptions) {
    const { onEvent, ...rest } = options;
    this.options = { observers: 0, electionTicks: 10, heartbeatTicks: 2, livenessTicks: 400, defaultRaftConfig: false, ...rest };
    this.#onEvent = onEvent;
    this.#rng = seededRandom(options.seed);
    const r = this.#rng;
    this.#faults = {
      dropRate: r.nextFloat() * 0.2,
      duplicateRate: r.nextFloat() * 0.1,
      maxDelay: r.nextInt(6),
      partitionRate: r.nextFloat() * 0.04,
      clogRate: r.nextFloat() * 0.03,
      crashRate: r.nextFloat() * 0.015,
      leaderFaultRate: r.nextFloat() * 0.02,
      tornRate: r.nextFloat() * 0.003,
      slowDiskRate: r.nextInt(2) === 0 ? 0 : r.nextFloat() * 0.5,
      slowDiskTicks: 1 + r.nextInt(3 * this.options.electionTicks),
      proposeRate: 0.1 + r.nextFloat() * 0.6,
      transferRate: r.nextFloat() * 0.005,
      compactAfter: 5 + r.nextInt(40),
      preVote: r.nextInt(5) > 0,
      checkQuorum: r.nextInt(5) > 0,
      maxEntriesPerAppend: 1 << r.nextInt(4),
      maxInflightAppends: 1 << r.nextInt(4),
      maxUncommittedEntries: 16 << r.nextInt(4),
    };
    if (this.options.defaultRaftConfig) {
      Object.assign(this.#faults, { preVote: true, checkQuorum: true, maxEntriesPerAppend: 256, maxInflightAppends: 64, maxUncommittedEntries: 10_000 });
    }
    this.#voters = Array.from({ length: this.options.voters }, (_, i) => i + 1);
    this.#observers = Array.from({ length: this.options.observers }, (_, i) => this.options.voters + i + 1);
    for (const id of [...this.#voters, ...this.#observers]) {
      const sim: SimNode = { id, storage: new MemoryRaftStorage(), node: undefined, writing: undefined, state: EMPTY_STATE, clockRate: 0.8 + r.nextFloat() * 0.2, downUntil: 0 };
      this.#nodes.push(sim);
      this.#start(sim);
    }
  }

  #log(event: string): void {
    const line = `[${this.#now}] ${event}`;
    this.#onEvent?.(line);
    this.#trace.push(line);
    if (this.#trace.length > TRACE_LENGTH) this.#trace.shift();
  }

  #fail(error: unknown): never {
    const o = this.options;
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new SimFailure(
      `raft-sim seed=${o.seed} voters=${o.voters} observers=${o.observers} steps=${o.steps} failed at tick ${this.#now}\n` +
        `  ${what}\n` +
        `  faults: ${JSON.stringify(this.#faults)}\n` +
        `  replay: SEED=${o.seed} npx vitest run test/unit/raft/sim.test.ts\n` +
        `  last events:\n    ${this.#trace.join('\n    ')}`,
    );
  }

  #start(sim: SimNode): void {
    const snapshot = sim.storage.snapshot();
    sim.state = snapshot.meta.index > 0 ? decodeState(snapshot.data) : EMPTY_STATE;
    if (snapshot.meta.index > 0) this.#checker.onRestore(sim.id, sim.state);
    sim.node = new RaftNode({
      id: sim.id,
      voters: this.#voters,
      observers: this.#observers,
      electionTicks: this.options.electionTicks,
      heartbeatTicks: this.options.heartbeatTicks,
      random: forkRandom(this.#rng),
      storage: sim.storage,
      preVote: this.#faults.preVote,
      checkQuorum: this.#faults.checkQuorum,
      maxEntriesPerAppend: this.#faults.maxEntriesPerAppend,
      maxInflightAppends: this.#faults.maxInflightAppends,
      maxUncommittedEntries: this.#faults.maxUncommittedEntries,
    });
    this.#process(sim);
  }

  #crash(sim: SimNode, torn: boolean): void {
    sim.node = undefined;
    sim.writing = undefined;
    // Half the restarts are quick (within an election), the rest take up to five timeouts.
    const longest = this.#rng.nextInt(2) === 0 ? 5 : 5 * this.options.electionTicks;
    sim.downUntil = this.#now + 1 + this.#rng.nextInt(longest);
    this.#stats.crashes += 1;
    this.#log(`crash ${sim.id}${torn ? ' (torn write)' : ''}`);
  }

  /**
   * Persist, send, apply and advance every Ready the node has. A slow disk
   * leaves a Ready in flight (the node keeps stepping input meanwhile); a
   * torn write crashes the node mid-persist.
   */
  #process(sim: SimNode): void {
    while (sim.node && !sim.writing && sim.node.hasReady()) {
      const rd = sim.node.ready();
      if (this.#lossy && this.#rng.nextFloat() < this.#faults.slowDiskRate) {
        sim.writing = { rd, doneAt: this.#now + 1 + this.#rng.nextInt(this.#faults.slowDiskTicks) };
        return;
      }
      this.#complete(sim, rd);
    }
  }

  #complete(sim: SimNode, rd: Ready): void {
    const node = sim.node!;
    if (this.#lossy && this.#rng.nextFloat() < this.#faults.tornRate) {
      this.#persistTorn(sim, rd);
      this.#crash(sim, true);
      this.#stats.tornWrites += 1;
      return;
    }
    sim.storage.persist(rd);
    for (const m of rd.messages) this.#send(m);
    this.#apply(sim, rd);
    node.advance(rd);
  }

  #finishWrites(): void {
    for (const sim of this.#nodes) {
      if (!sim.writing || sim.writing.doneAt > this.#now) continue;
      const { rd } = sim.writing;
      sim.writing = undefined;
      this.#complete(sim, rd);
      this.#process(sim);
    }
  }

  #persistTorn(sim: SimNode, rd: Ready): void {
    const ops = (rd.snapshot ? 1 : 0) + rd.entries.length + (rd.hardState ? 1 : 0);
    let keep = this.#rng.nextInt(ops + 1);
    if (rd.snapshot && keep > 0) {
      sim.storage.applySnapshot(rd.snapshot);
      keep -= 1;
    }
    const entries = rd.entries.slice(0, keep);
    sim.storage.append(entries);
    keep -= entries.length;
    if (rd.hardState && keep > 0) sim.storage.setHardState(rd.hardState);
  }

  #apply(sim: SimNode, rd: Ready): void {
    if (rd.snapshot) {
      sim.state = decodeState(rd.snapshot.data);
      this.#checker.onRestore(sim.id, sim.state);
    }
    for (const entry of rd.committedEntries) {
      sim.state = applyEntry(sim.state, entry.index, entry.data);
      this.#checker.onApplyEntry(sim.id, entry, sim.state);
    }
  }

  #connected(a: NodeId, b: NodeId): boolean {
    return !this.#groups || this.#groups.some((g) => g.includes(a) && g.includes(b));
  }

  #send(m: Message): void {
    if (m.type === 'snapshot-request') this.#stats.snapshotsSent += 1;
    if (!this.#connected(m.from, m.to) || (this.#lossy && this.#rng.nextFloat() < this.#faults.dropRate)) {
      this.#stats.dropped += 1;
      return;
    }
    this.#checker.onSend(m);
    const copies = this.#lossy && this.#rng.nextFloat() < this.#faults.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i += 1) {
      const delay = this.#lossy ? this.#rng.nextInt(this.#faults.maxDelay + 1) : this.#rng.nextInt(2);
      let at = this.#now + 1 + delay;
      for (const clog of this.#clogs) {
        if ((clog.from === undefined || clog.from === m.from) && (clog.to === undefined || clog.to === m.to)) at = Math.max(at, clog.until + this.#rng.nextInt(3));
      }
      this.#inFlight.push({ at, msg: m });
    }
  }

  #deliverDue(): void {
    const due = this.#inFlight.filter((f) => f.at <= this.#now);
    this.#inFlight = this.#inFlight.filter((f) => f.at > this.#now);
    // Shuffle: messages due in the same tick arrive in any order.
    for (let i = due.length - 1; i > 0; i -= 1) {
      const j = this.#rng.nextInt(i + 1);
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const { msg } of due) {
      const target = this.#nodes[msg.to - 1]!;
      if (!target.node || !this.#connected(msg.from, msg.to)) {
        this.#stats.dropped += 1;
        continue;
      }
      this.#log(describeMessage(msg));
      target.node.step(msg);
      this.#stats.delivered += 1;
      this.#process(target);
    }
  }

  #injectFaults(): void {
    const r = this.#rng;
    const f = this.#faults;
    if (r.nextFloat() < f.partitionRate) this.#changePartition();
    if (r.nextFloat() < f.clogRate) this.#clog();
    this.#clogs = this.#clogs.filter((c) => c.until > this.#now);
    if (r.nextFloat() < f.crashRate) {
      const running = this.#nodes.filter((n) => n.node);
      if (running.length > 0) this.#crash(running[r.nextInt(running.length)]!, false);
    }
    if (r.nextFloat() < f.leaderFaultRate) this.#hitLeader();
    for (const sim of this.#nodes) {
      if (!sim.node && sim.downUntil <= this.#now) {
        this.#log(`restart ${sim.id}`);
        this.#start(sim);
      }
    }
    if (r.nextFloat() < f.transferRate) {
      const leader = this.#nodes.find((n) => n.node?.status().role === 'leader');
      if (leader) {
        const to = this.#voters[r.nextInt(this.#voters.length)]!;
        if (leader.node!.transferLeadership(to)) this.#log(`transfer ${leader.id} -> ${to}`);
        this.#process(leader);
      }
    }
  }

  #hitLeader(): void {
    const leaders = this.#nodes.filter((n) => n.node?.status().role === 'leader');
    if (leaders.length === 0) return;
    const leader = leaders[this.#rng.nextInt(leaders.length)]!;
    if (this.#rng.nextInt(2) === 0) {
      this.#crash(leader, false);
    } else {
      this.#groups = [[leader.id], this.#nodes.map((n) => n.id).filter((id) => id !== leader.id)];
      this.#stats.partitions += 1;
      this.#log(`isolate leader ${leader.id}`);
    }
  }

  #clog(): void {
    const r = this.#rng;
    const node = (): NodeId => this.#nodes[r.nextInt(this.#nodes.length)]!.id;
    const until = this.#now + 1 + r.nextInt(3 * this.options.electionTicks);
    const kind = r.nextInt(3);
    const clog: Clog =
      kind === 0 ? { from: node(), to: node(), until } : kind === 1 ? { from: node(), to: undefined, until } : { from: undefined, to: node(), until };
    this.#clogs.push(clog);
    this.#log(`clog ${clog.from ?? '*'}->${clog.to ?? '*'} until ${until}`);
  }

  #changePartition(): void {
    const r = this.#rng;
    this.#stats.partitions += 1;
    if (this.#groups && r.nextInt(2) === 0) {
      this.#groups = undefined;
      this.#log('heal');
      return;
    }
    const ids = this.#nodes.map((n) => n.id);
    const groupCount = 2 + r.nextInt(2);
    const groups: NodeId[][] = Array.from({ length: groupCount }, () => []);
    for (const id of ids) groups[r.nextInt(groupCount)]!.push(id);
    this.#groups = groups.filter((g) => g.length > 0);
    this.#log(`partition ${this.#groups.map((g) => `{${g.join(',')}}`).join(' ')}`);
  }

  #tickAll(): void {
    for (const sim of this.#nodes) {
      if (!sim.node || this.#rng.nextFloat() >= sim.clockRate) continue;
      sim.node.tick();
      this.#process(sim);
    }
  }

  #propose(): void {
    const r = this.#rng;
    if (r.nextFloat() >= this.#faults.proposeRate) return;
    const leaders = this.#nodes.filter((n) => n.node?.status().role === 'leader');
    const running = this.#nodes.filter((n) => n.node);
    const pool = leaders.length > 0 && r.nextInt(10) > 0 ? leaders : running;
    if (pool.length === 0) return;
    const sim = pool[r.nextInt(pool.length)]!;
    const count = 1 + r.nextInt(3);
    const data = Array.from({ length: count }, () => entryData(`s${this.options.seed}-p${(this.#proposals += 1)}`));
    const result = sim.node!.propose(data);
    if (result.ok) this.#log(`propose ${sim.id} [${result.firstIndex}..${result.lastIndex}] t${result.term}`);
    this.#process(sim);
  }

  #compact(): void {
    for (const sim of this.#nodes) {
      if (!sim.node) continue;
      const snapshotIndex = sim.storage.firstIndex() - 1;
      if (sim.state.index - snapshotIndex > this.#faults.compactAfter) {
        sim.storage.compact(sim.state.index, encodeState(sim.state));
      }
    }
  }

  #step(): void {
    this.#now += 1;
    if (this.#lossy) this.#injectFaults();
    this.#finishWrites();
    this.#tickAll();
    this.#deliverDue();
    this.#propose();
    this.#compact();
    this.#checker.checkStep(this.#nodes);
  }

  /** The leader a majority of running voters agree on, in the highest term any running node is in. */
  #establishedLeader(): SimNode | undefined {
    const statuses = this.#nodes.filter((n) => n.node).map((n) => n.node!.status());
    const maxTerm = Math.max(...statuses.map((s) => s.term));
    const leader = statuses.find((s) => s.role === 'leader' && s.term === maxTerm);
    if (!leader) return undefined;
    const followers = statuses.filter((s) => this.#voters.includes(s.id) && s.term === maxTerm && s.leaderId === leader.id).length;
    return followers * 2 > this.#voters.length ? this.#nodes[leader.id - 1] : undefined;
  }

  #liveness(): { election: number; commit: number } {
    this.#lossy = false;
    this.#groups = undefined;
    this.#clogs = [];
    this.#log('liveness phase: heal, restart all, no loss');
    for (const sim of this.#nodes) if (!sim.node) this.#start(sim);
    const start = this.#now;
    const deadline = start + this.options.livenessTicks;
    let elected = -1;
    let marker: { key: string; index: number; term: number } | undefined;
    while (this.#now < deadline) {
      this.#step();
      const leader = this.#establishedLeader();
      if (leader && elected < 0) elected = this.#now - start;
      if (marker) {
        const committed = this.#checker.committedKey(marker.index);
        if (committed === marker.key && this.#nodes.every((n) => n.state.index >= marker!.index)) {
          return { election: elected, commit: this.#now - start };
        }
        if (committed !== undefined && committed !== marker.key) marker = undefined; // lost to a leader change
      }
      if (leader && (!marker || leader.node!.status().term !== marker.term)) {
        const key = `s${this.options.seed}-liveness-${this.#now}`;
        const result = leader.node!.propose([entryData(key)]);
        if (result.ok) marker = { key, index: result.lastIndex, term: result.term };
        this.#process(leader);
      }
    }
    throw new SafetyViolation(
      `liveness: ${elected < 0 ? 'no leader established' : 'proposal not applied everywhere'} within ${this.options.livenessTicks} ticks after healing`,
    );
  }

  /** The established leader once it has committed an entry of its own term. */
  #writableLeader(): SimNode | undefined {
    const leader = this.#establishedLeader();
    if (!leader) return undefined;
    const status = leader.node!.status();
    return leader.node!.entries(status.commit, status.commit + 1)[0]?.term === status.term ? leader : undefined;
  }

  #runUntil(done: () => boolean, what: string): number {
    const start = this.#now;
    while (!done()) {
      if (this.#now - start > this.options.livenessTicks) throw new SafetyViolation(`${what} took over ${this.options.livenessTicks} ticks`);
      this.#step();
    }
    return this.#now - start;
  }

  failovers(kills: number): number[] {
    const times: number[] = [];
    try {
      this.#lossy = false;
      while (times.length < kills) {
        this.#runUntil(() => this.#writableLeader() !== undefined, 'initial election');
        const settle = this.#now + 3 * this.options.electionTicks;
        this.#runUntil(() => this.#now >= settle, 'settling');
        const leader = this.#writableLeader();
        if (!leader) continue;
        this.#crash(leader, false);
        times.push(this.#runUntil(() => this.#writableLeader() !== undefined, `failover ${times.length + 1}`));
        this.#log(`restart ${leader.id}`);
        this.#start(leader);
      }
    } catch (error) {
      this.#fail(error);
    }
    return times;
  }

  run(): SimStats {
    let liveness = { election: -1, commit: -1 };
    try {
      for (let i = 0; i < this.options.steps; i += 1) this.#step();
      liveness = this.#liveness();
    } catch (error) {
      this.#fail(error);
    }
    return {
      seed: this.options.seed,
      steps: this.#now,
      ...this.#stats,
      leadersElected: this.#checker.leaderCount,
      committed: this.#checker.maxCommittedIndex,
      maxTerm: Math.max(...this.#nodes.map((n) => n.storage.hardState().term)),
      electionTicksAfterHeal: liveness.election,
      commitTicksAfterHeal: liveness.commit,
    };
  }
}

export function runSimulation(options: SimOptions): SimStats {
  return new RaftSimulation(options).run();
}

/**
 * Failover time on a healthy network (delays of one or two ticks, no loss):
 * kill the established leader `kills` times and measure the ticks until a
 * new leader has committed an entry of its own term (writes work again).
 */
export function measureFailovers(options: Omit<SimOptions, 'steps'>, kills: number): number[] {
  return new RaftSimulation({ ...options, steps: 0 }).failovers(kills);
}
