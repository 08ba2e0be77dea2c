/**
 * Runs a Raft scenario script (test/scenarios/raft/*.txt) against a
 * ScenarioCluster. One command or expectation per line; `#` starts a comment.
 * A node list is `1`, `1,2,3` or `all`.
 *
 * Commands:
 *   add-nodes N [voters=1,2,3] [observers=4,5] [election=10] [heartbeat=1] [prevote=on|off] [checkquorum=on|off]
 *   tick <nodes> [xK]           tick each node K times (default 1); messages queue up
 *   run [xK]                    K rounds of: tick every running node once, then stabilize
 *   campaign <id>               start an election now
 *   propose <id> <data...> [=> ERROR]
 *   transfer <leader> <to>      leadership transfer
 *   deliver [a->b]              deliver the messages pending now (optionally only a->b)
 *   drop <a->b | all>           discard pending messages a->b (or all)
 *   duplicate <a->b>            queue a second copy of each pending message a->b
 *   stabilize                   deliver until nothing is pending
 *   partition {1} {2,3}         only nodes in the same group can talk; `isolate <id>` cuts one off
 *   heal                        remove the partition
 *   crash <id> / restart <id>   lose volatile state / start again from the persisted state
 *   compact <id>                snapshot the applied state and truncate the log
 *   print                       dump every node's status (for writing scripts)
 *
 * Expectations (each node in the list must match):
 *   leader <id> term <t>        <id> is leader in term t
 *   no-leader                   no running node is leader
 *   role <nodes> <role>         follower | pre-candidate | candidate | leader
 *   term <nodes> <t>
 *   leader-of <nodes> <id|none> the leader each node knows of
 *   voted <nodes> <id|none>
 *   commit <nodes> <index>
 *   last-index <nodes> <index>
 *   first-index <nodes> <index>
 *   log <nodes> <term...|->     terms of the entries firstIndex..lastIndex
 *   applied <nodes> <data...|-> the state machine's content
 *   pending <n>                 messages waiting for delivery
 */
import { ScenarioCluster, type ClusterOptions } from './cluster.js';
import { NO_NODE, type NodeId } from '../../../../src/controller/raft/types.js';
import type { Message } from '../../../../src/controller/raft/messages.js';

export class ScriptError extends Error {}

interface Line {
  readonly file: string;
  readonly number: number;
  readonly text: string;
  readonly words: string[];
}

type Handler = (cluster: ScenarioCluster, args: string[], line: Line) => void;

function fail(line: Line, message: string): never {
  throw new ScriptError(`${line.file}:${line.number}: ${line.text}\n    ${message}`);
}

function int(line: Line, word: string | undefined): number {
  if (word === undefined || !/^-?[0-9]+$/.test(word)) fail(line, `expected a number, got '${word ?? ''}'`);
  return Number(word);
}

function nodeOrNone(line: Line, word: string | undefined): NodeId {
  return word === 'none' ? NO_NODE : int(line, word);
}

function showNode(id: NodeId): string {
  return id === NO_NODE ? 'none' : String(id);
}

function nodes(cluster: ScenarioCluster, line: Line, word: string | undefined): NodeId[] {
  if (word === undefined) fail(line, 'expected a node list');
  const ids = word === 'all' ? cluster.ids().filter((id) => cluster.member(id).node !== undefined) : word.split(',').map((w) => int(line, w));
  if (ids.length === 0) fail(line, 'no nodes to check (add-nodes first)');
  return ids;
}

function link(line: Line, word: string | undefined): (m: Message) => boolean {
  const match = /^([0-9]+)->([0-9]+)$/.exec(word ?? '');
  if (!match) fail(line, `expected a link a->b, got '${word ?? ''}'`);
  const from = Number(match[1]);
  const to = Number(match[2]);
  return (m) => m.from === from && m.to === to;
}

function list(line: Line, ids: string): NodeId[] {
  return ids.split(',').filter((w) => w.length > 0).map((w) => int(line, w));
}

function addNodes(cluster: ScenarioCluster, args: string[], line: Line): void {
  const count = int(line, args[0]);
  const all = Array.from({ length: count }, (_, i) => i + 1);
  const options: ClusterOptions = { voters: all, observers: [], electionTicks: 10, heartbeatTicks: 1, preVote: true, checkQuorum: true };
  for (const arg of args.slice(1)) {
    const [key, value = ''] = arg.split('=');
    if (key === 'voters') options.voters = list(line, value);
    else if (key === 'observers') options.observers = list(line, value);
    else if (key === 'election') options.electionTicks = int(line, value);
    else if (key === 'heartbeat') options.heartbeatTicks = int(line, value);
    else if (key === 'prevote') options.preVote = value === 'on';
    else if (key === 'checkquorum') options.checkQuorum = value === 'on';
    else fail(line, `unknown option ${arg}`);
  }
  if (args.some((a) => a.startsWith('voters=')) && !args.some((a) => a.startsWith('observers='))) {
    options.observers = all.filter((id) => !options.voters.includes(id));
  }
  cluster.addNodes(options);
}

function expectEqual(line: Line, id: NodeId | undefined, what: string, actual: string, expected: string): void {
  if (actual !== expected) fail(line, `${id === undefined ? '' : `node ${id}: `}expected ${what} ${expected}, got ${actual}`);
}

function perNode(read: (cluster: ScenarioCluster, id: NodeId) => string, what: string, parse: (line: Line, args: string[]) => string): Handler {
  return (cluster, args, line) => {
    const expected = parse(line, args.slice(1));
    for (const id of nodes(cluster, line, args[0])) expectEqual(line, id, what, read(cluster, id), expected);
  };
}

const oneNumber = (line: Line, args: string[]): string => String(int(line, args[0]));
const dashList = (_line: Line, args: string[]): string => (args.length === 1 && args[0] === '-' ? '' : args.join(' '));

const COMMANDS: Record<string, Handler> = {
  'add-nodes': addNodes,
  tick: (cluster, args, line) => {
    const times = args[1] ? int(line, args[1].replace(/^x/, '')) : 1;
    const ids = nodes(cluster, line, args[0]);
    for (let i = 0; i < times; i += 1) for (const id of ids) cluster.tick(id);
  },
  run: (cluster, args, line) => {
    const times = args[0] ? int(line, args[0].replace(/^x/, '')) : 1;
    for (let i = 0; i < times; i += 1) {
      for (const id of cluster.ids()) if (cluster.member(id).node) cluster.tick(id);
      cluster.stabilize();
    }
  },
  campaign: (cluster, args, line) => cluster.campaign(int(line, args[0])),
  propose: (cluster, args, line) => {
    const arrow = args.indexOf('=>');
    const data = arrow >= 0 ? args.slice(1, arrow) : args.slice(1);
    const result = cluster.propose(int(line, args[0]), data);
    const expectedError = arrow >= 0 ? args[arrow + 1] : undefined;
    const actual = result.ok ? 'ok' : result.error;
    expectEqual(line, undefined, 'proposal result', actual, expectedError ?? 'ok');
  },
  transfer: (cluster, args, line) => {
    if (!cluster.transfer(int(line, args[0]), int(line, args[1]))) fail(line, 'transfer refused');
  },
  deliver: (cluster, args, line) => {
    cluster.deliver(args[0] ? link(line, args[0]) : undefined);
  },
  drop: (cluster, args, line) => {
    cluster.drop(args[0] === 'all' ? () => true : link(line, args[0]));
  },
  duplicate: (cluster, args, line) => {
    cluster.pending.push(...cluster.pending.filter(link(line, args[0])));
  },
  stabilize: (cluster) => cluster.stabilize(),
  partition: (cluster, args, line) => {
    const groups = args.map((g) => {
      const match = /^\{([0-9,]*)\}$/.exec(g);
      if (!match) fail(line, `expected a group like {1,2}, got '${g}'`);
      return list(line, match[1]!);
    });
    cluster.partition(groups);
  },
  isolate: (cluster, args, line) => {
    const id = int(line, args[0]);
    cluster.partition([[id], cluster.ids().filter((other) => other !== id)]);
  },
  heal: (cluster) => cluster.heal(),
  print: (cluster) => {
    for (const id of cluster.ids()) {
      const node = cluster.member(id).node;
      const status = node ? { ...node.status(), progress: node.status().progress ? Object.fromEntries(node.status().progress!) : undefined } : 'crashed';
      console.log(id, JSON.stringify(status), `applied=[${cluster.member(id).applied.join(' ')}]`);
    }
    console.log('pending', cluster.pending.map((m) => `${m.type} ${m.from}->${m.to} t${m.term}`).join(', '));
  },
  crash: (cluster, args, line) => cluster.crash(int(line, args[0])),
  restart: (cluster, args, line) => cluster.restart(int(line, args[0])),
  compact: (cluster, args, line) => cluster.compact(int(line, args[0])),

  leader: (cluster, args, line) => {
    const id = int(line, args[0]);
    if (args[1] !== 'term') fail(line, 'expected: leader <id> term <t>');
    const status = cluster.node(id).status();
    expectEqual(line, id, 'role/term', `${status.role}/${status.term}`, `leader/${int(line, args[2])}`);
  },
  'no-leader': (cluster, _args, line) => {
    const leaders = cluster.ids().filter((id) => cluster.member(id).node?.status().role === 'leader');
    expectEqual(line, undefined, 'leaders', leaders.join(',') || 'none', 'none');
  },
  role: perNode((c, id) => c.node(id).status().role, 'role', (_l, a) => a[0] ?? ''),
  term: perNode((c, id) => String(c.node(id).status().term), 'term', oneNumber),
  'leader-of': perNode((c, id) => showNode(c.node(id).status().leaderId), 'leader', (l, a) => showNode(nodeOrNone(l, a[0]))),
  voted: perNode((c, id) => showNode(c.node(id).status().votedFor), 'vote', (l, a) => showNode(nodeOrNone(l, a[0]))),
  commit: perNode((c, id) => String(c.node(id).status().commit), 'commit', oneNumber),
  'last-index': perNode((c, id) => String(c.node(id).status().lastIndex), 'last index', oneNumber),
  'first-index': perNode((c, id) => String(c.node(id).status().firstIndex), 'first index', oneNumber),
  log: perNode(
    (c, id) => {
      const s = c.node(id).status();
      return c.node(id).entries(s.firstIndex, s.lastIndex + 1).map((e) => e.term).join(' ');
    },
    'log terms',
    dashList,
  ),
  applied: perNode((c, id) => c.member(id).applied.join(' '), 'applied', dashList),
  pending: (cluster, args, line) => expectEqual(line, undefined, 'pending messages', String(cluster.pending.length), String(int(line, args[0]))),
};

export function parseScript(file: string, text: string): Line[] {
  return text.split('\n').flatMap((raw, i) => {
    const stripped = raw.replace(/#.*$/, '').trim();
    if (stripped.length === 0) return [];
    return [{ file, number: i + 1, text: raw.trim(), words: stripped.split(/\s+/) }];
  });
}

export function runScript(file: string, text: string): ScenarioCluster {
  const cluster = new ScenarioCluster();
  for (const line of parseScript(file, text)) {
    const [command, ...args] = line.words;
    const handler = COMMANDS[command!];
    if (!handler) fail(line, `unknown command '${command}'`);
    try {
      handler(cluster, args, line);
    } catch (error) {
      if (error instanceof ScriptError) throw error;
      fail(line, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  }
  return cluster;
}
