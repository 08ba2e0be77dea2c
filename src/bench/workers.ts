/**
 * The orchestrator's side of the load generator processes: fork them,
 * hand them jobs, collect progress and results. Workers are kept for the
 * whole run and reused; a pool grows when a scenario asks for more.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { workerModule } from './paths.js';
import type { ParentMessage, WorkerJob, WorkerMessage, WorkerResult } from './types.js';

export type JobOutcome = { status: 'done'; result: WorkerResult } | { status: 'skipped'; reason: string };

export interface JobHooks {
  onReady?: (port: number) => void;
  onProgress?: (records: number, bytes: number) => void;
}

export class LoadWorker {
  private listener: ((m: WorkerMessage) => void) | null = null;
  private exitError: Error | null = null;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: WorkerMessage) => this.listener?.(m));
    child.on('exit', (code, signal) => {
      this.exitError = new Error(`load worker ${child.pid} exited (${code ?? signal})`);
      this.listener?.({ type: 'failed', error: this.exitError.message });
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  static spawn(): Promise<LoadWorker> {
    const { path, execArgv } = workerModule();
    const child = fork(path, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const w = new LoadWorker(child);
    return new Promise((resolve, reject) => {
      w.listener = (m) => {
        w.listener = null;
        if (m.type === 'ready') resolve(w);
        else reject(new Error(m.type === 'failed' ? m.error : `unexpected ${m.type} from a starting worker`));
      };
    });
  }

  run(job: WorkerJob, hooks: JobHooks = {}): Promise<JobOutcome> {
    if (this.exitError) return Promise.reject(this.exitError);
    if (this.listener) return Promise.reject(new Error('worker is busy'));
    return new Promise((resolve, reject) => {
      this.listener = (m) => {
        switch (m.type) {
          case 'ready':
            if (m.port !== undefined) hooks.onReady?.(m.port);
            return;
          case 'progress':
            hooks.onProgress?.(m.records, m.bytes);
            return;
          case 'done':
            this.listener = null;
            return resolve({ status: 'done', result: m.result });
          case 'skipped':
            this.listener = null;
            return resolve({ status: 'skipped', reason: m.reason });
          case 'failed':
            this.listener = null;
            return reject(new Error(m.error));
        }
      };
      const msg: ParentMessage = { type: 'run', job };
      this.child.send(msg);
    });
  }

  exit(): void {
    if (this.exitError) return;
    const msg: ParentMessage = { type: 'exit' };
    this.child.send(msg);
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}

export class WorkerPool {
  private readonly workers: LoadWorker[] = [];

  constructor(private readonly nice: number | null = null) {}

  /** The first n workers, spawning as needed. */
  async take(n: number): Promise<LoadWorker[]> {
    while (this.workers.length < n) {
      const w = await LoadWorker.spawn();
      if (this.nice !== null) setPriority(w.pid, this.nice);
      this.workers.push(w);
    }
    return this.workers.slice(0, n);
  }

  pids(): number[] {
    return this.workers.map((w) => w.pid);
  }

  close(): void {
    for (const w of this.workers) w.exit();
    this.workers.length = 0;
  }
}
