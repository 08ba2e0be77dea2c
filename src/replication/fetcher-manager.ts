/**
 * Which replica fetcher follows which partition (Kafka's
 * ReplicaFetcherManager): one fetcher, and so one connection, per source
 * broker. A partition follows its leader; when the leader or its epoch
 * changes it is moved (and truncates again). Fetchers left without
 * partitions stop.
 */
import type { Partition } from './partition.js';
import { ReplicaFetcher, type FetcherDeps } from './replica-fetcher.js';

export class FetcherManager {
  readonly #fetchers = new Map<number, ReplicaFetcher>();
  readonly #source = new Map<Partition, number>();
  #closed = false;
  #paused = false;
  private readonly deps: FetcherDeps;

  constructor(deps: Omit<FetcherDeps, 'paused'>) {
    this.deps = { ...deps, paused: () => this.#paused };
  }

  /** Fault injection for tests: stops (true) or resumes (false) every fetch from this node. */
  pause(paused: boolean): void {
    this.#paused = paused;
    if (!paused) for (const f of this.#fetchers.values()) f.wake();
  }

  /** Follows p's current leader from p's current epoch on. */
  follow(p: Partition): void {
    if (this.#closed || p.leader < 0) return;
    this.unfollow(p);
    let f = this.#fetchers.get(p.leader);
    if (!f) {
      f = new ReplicaFetcher(p.leader, this.deps);
      this.#fetchers.set(p.leader, f);
    }
    f.add(p);
    this.#source.set(p, p.leader);
  }

  unfollow(p: Partition): void {
    const src = this.#source.get(p);
    if (src === undefined) return;
    this.#source.delete(p);
    const f = this.#fetchers.get(src);
    if (!f) return;
    f.remove(p);
    if (f.size === 0) {
      this.#fetchers.delete(src);
      void f.stop();
    }
  }

  /** The source broker p is fetched from, if any. */
  sourceOf(p: Partition): number | undefined {
    return this.#source.get(p);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#fetchers.values()];
    this.#fetchers.clear();
    this.#source.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
