/**
 * `krill cluster --nodes 3`: a local cluster of real processes, started the
 * KRaft way, one `krill start` per node: node.id i, process.roles
 * broker,controller, listeners PLAINTEXT://127.0.0.1:<base+i-1> and
 * CONTROLLER://127.0.0.1:<base+100+i-1>, controller.listener.names
 * CONTROLLER, the same controller.quorum.voters and cluster.id everywhere,
 * log.dirs <dir>/node-<i>. Child output is prefixed with the node id;
 * SIGINT/SIGTERM stop every node cleanly. This is the cluster
 * docker-compose.yml runs, without containers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ClusterCommandOptions {
  nodes: number;
  basePort: number;
  dir: string;
  logLevel: string;
  overrides: string[];
}

export interface NodePlan {
  readonly id: number;
  readonly clientPort: number;
  readonly controllerPort: number;
  readonly args: string[];
}

/** The `krill start` arguments of every node (pure; tested). */
export function planCluster(o: ClusterCommandOptions): NodePlan[] {
  const ids = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const voters = ids.map((id) => `${id}@127.0.0.1:${o.basePort + 100 + id - 1}`).join(',');
  const clusterId = createHash('sha256').update(`krill-local-cluster:${voters}`).digest().subarray(0, 16).toString('base64url');
  return ids.map((id) => {
    const clientPort = o.basePort + id - 1;
    const controllerPort = o.basePort + 100 + id - 1;
    const config: Record<string, string> = {
      'node.id': String(id),
      'process.roles': 'broker,controller',
      listeners: `PLAINTEXT://127.0.0.1:${clientPort},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${clientPort}`,
      'controller.listener.names': 'CONTROLLER',
      'controller.quorum.voters': voters,
      'cluster.id': clusterId,
      'log.dirs': resolve(o.dir, `node-${id}`),
      'default.replication.factor': String(Math.min(3, o.nodes)),
      'offsets.topic.replication.factor': String(Math.min(3, o.nodes)),
    };
    const args = ['start', '--log-level', o.logLevel];
    for (const [k, v] of Object.entries(config)) args.push('--override', `${k}=${v}`);
    for (const ov of o.overrides) args.push('--override', ov);
    return { id, clientPort, controllerPort, args };
  });
}

export async function runClusterCommand(o: ClusterCommandOptions): Promise<number> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > 99) throw new Error('--nodes must be between 1 and 99');
  const plans = planCluster(o);
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const main = join(dirname(self), fromSource ? 'main.ts' : 'main.js');
  const children = new Map<number, ChildProcess>();
  for (const p of plans) {
    mkdirSync(resolve(o.dir, `node-${p.id}`), { recursive: true });
    const execArgv = fromSource ? ['--import', 'tsx'] : [];
    const child = spawn(process.execPath, [...execArgv, main, ...p.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const prefix = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') process.stdout.write(`[node ${p.id}] ${line}\n`);
    };
    child.stdout?.on('data', prefix);
    child.stderr?.on('data', prefix);
    children.set(p.id, child);
  }
  process.stdout.write(`krill cluster: ${plans.length} nodes, bootstrap ${plans.map((p) => `127.0.0.1:${p.clientPort}`).join(',')}\n`);
  process.stdout.write(`controller.quorum.voters=${plans.map((p) => `${p.id}@127.0.0.1:${p.controllerPort}`).join(',')}\n`);
  const exits = [...children.entries()].map(
    ([id, c]) =>
      new Promise<number>((done) =>
        c.once('exit', (code) => {
          process.stdout.write(`[node ${id}] exited with ${code}\n`);
          done(code ?? 1);
        }),
      ),
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const c of children.values()) c.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGTERM'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const codes = await Promise.all(exits);
  return codes.every((c) => c === 0) ? 0 : 1;
}
