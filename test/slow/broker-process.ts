/**
 * A Krill broker as a real child process (`node --import tsx
 * src/cli/main.ts start`), for crash tests: start it on a fixed port and
 * data dir, wait until it answers, kill it with SIGKILL. The last lines of
 * its output are kept for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { RawClient } from '../helpers/raw-client.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const TAIL_LINES = 40;

/** A free TCP port on 127.0.0.1 (the broker reuses it across restarts). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class BrokerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  readonly #tail: string[] = [];
  readonly startedAt = Date.now();

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.#tail.push(line.slice(0, 500));
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static start(dataDir: string, port: number, overrides: Record<string, string | number> = {}): BrokerProcess {
    const args = ['--import', 'tsx', 'src/cli/main.ts', 'start', '--log-level', 'warn'];
    const config: Record<string, string | number> = { listeners: `PLAINTEXT://127.0.0.1:${port}`, 'log.dirs': dataDir, ...overrides };
    for (const [k, v] of Object.entries(config)) args.push('--override', `${k}=${v}`);
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KRILL_LOG_LEVEL: 'warn' } });
    return new BrokerProcess(child);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Output tail, for failure messages. */
  get output(): string {
    return this.#tail.join('\n');
  }

  /** Resolves once the broker answers a Metadata request; rejects if it exits or takes longer than timeoutMs. */
  async waitReady(bootstrap: string, timeoutMs = 90_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.#exited.then(() => {
      exited = true;
    });
    for (;;) {
      if (exited) throw new Error(`broker exited during start-up:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`broker not ready after ${timeoutMs} ms:\n${this.output}`);
      try {
        const c = await RawClient.connect(bootstrap, { timeoutMs: 1000 });
        try {
          await c.request(3, 12, { topics: [], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false }, { timeoutMs: 2000 });
          return Date.now() - this.startedAt;
        } finally {
          c.close();
        }
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  /** SIGKILL, then wait for the process to be gone. */
  async kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    await this.#exited;
  }

  /** SIGTERM (clean shutdown), then wait. */
  async stop(): Promise<number | null> {
    this.#child.kill('SIGTERM');
    return this.#exited;
  }
}
