/**
 * The broker under test as a separate `krill start` process (compiled, from
 * dist/), so its CPU and memory can be read from /proc and it never shares
 * an event loop with the load generator. It listens on 127.0.0.1 port 0;
 * the bound address is read from its "Krill node started" log line.
 *
 * With a profile directory the broker runs under `node --cpu-prof`; the
 * profile is written when it exits after SIGTERM (a clean shutdown).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { brokerEntry } from './paths.js';

export interface BrokerOptions {
  logDir: string;
  /** Kafka config overrides (krill.fsync.before.ack, ...). */
  config?: Record<string, string>;
  /** Run under --cpu-prof, writing the profile here. */
  profileDir?: string;
  startTimeoutMs?: number;
  /** Scheduling priority (nice value) of the broker process. */
  nice?: number | null;
}

const KEEP_LINES = 50;

export class BrokerProcess {
  private readonly lines: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly profileDir: string | undefined,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  host = '127.0.0.1';
  port = 0;

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static async start(opts: BrokerOptions): Promise<BrokerProcess> {
    const config: Record<string, string> = {
      listeners: 'PLAINTEXT://127.0.0.1:0',
      'log.dirs': opts.logDir,
      'auto.create.topics.enable': 'false',
      ...opts.config,
    };
    const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
    const args = [...nodeArgs, brokerEntry, 'start', '--log-level', 'info'];
    for (const [k, v] of Object.entries(config)) args.push('--override', `${k}=${v}`);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const broker = new BrokerProcess(child, opts.profileDir);
    if (opts.nice !== undefined && opts.nice !== null && child.pid !== undefined) setPriority(child.pid, opts.nice);
    await broker.waitStarted(opts.startTimeoutMs ?? 60_000);
    return broker;
  }

  private waitStarted(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let pending = '';
      const timer = setTimeout(() => reject(new Error(`broker did not start in ${timeoutMs} ms:\n${this.recentLog()}`)), timeoutMs);
      const onLine = (line: string): void => {
        this.lines.push(line);
        if (this.lines.length > KEEP_LINES) this.lines.shift();
        if (this.port !== 0 || !line.includes('Krill node started')) return;
        try {
          const bootstrap = (JSON.parse(line) as { bootstrap?: string }).bootstrap ?? '';
          const i = bootstrap.lastIndexOf(':');
          this.host = bootstrap.slice(0, i);
          this.port = Number(bootstrap.slice(i + 1));
          clearTimeout(timer);
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      };
      const onData = (d: Buffer): void => {
        pending += d.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          onLine(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
        }
      };
      this.child.stdout?.on('data', onData);
      this.child.stderr?.on('data', onData);
      void this.exited.then((code) => {
        clearTimeout(timer);
        if (this.port === 0) reject(new Error(`broker exited with ${code} before it started:\n${this.recentLog()}`));
      });
    });
  }

  /** The last lines the broker logged (for error reports). */
  recentLog(): string {
    return this.lines.join('\n');
  }

  /** Clean shutdown (SIGTERM), SIGKILL after timeoutMs. Returns the .cpuprofile path when profiling. */
  async stop(timeoutMs = 30_000): Promise<string | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const killer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(killer);
    }
    if (!this.profileDir) return null;
    const profiles = readdirSync(this.profileDir).filter((f) => f.endsWith('.cpuprofile'));
    return profiles.length ? join(this.profileDir, profiles.sort().at(-1) as string) : null;
  }
}
