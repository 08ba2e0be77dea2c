/**
 * A coarse hashed timer wheel for request deadlines (acks=all produce
 * waits, long-poll fetches), in the spirit of Kafka's TimingWheel and
 * undici's low-resolution timers: deadlines are rounded up to a tick, one
 * interval timer drives the wheel while anything is scheduled, and
 * cancelling is O(1). Thousands of pending waits cost one Node timer.
 *
 * A deadline fires no earlier than asked and at most one tick late.
 */

export type Cancel = () => void;

interface Entry {
  readonly dueTick: number;
  readonly fn: () => void;
  slot: Set<Entry> | null;
}

export class TimerWheel {
  readonly #tickMs: number;
  readonly #slots: Array<Set<Entry>>;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | null = null;
  #size = 0;
  #lastTick: number;

  constructor(opts: { tickMs?: number; slots?: number; now?: () => number } = {}) {
    this.#tickMs = opts.tickMs ?? 25;
    this.#slots = Array.from({ length: opts.slots ?? 512 }, () => new Set<Entry>());
    this.#now = opts.now ?? Date.now;
    this.#lastTick = this.#tickOf(this.#now());
  }

  get pending(): number {
    return this.#size;
  }

  /** Runs fn once, about delayMs from now. Returns a cancel function. */
  schedule(delayMs: number, fn: () => void): Cancel {
    const dueTick = Math.ceil((this.#now() + Math.max(0, delayMs)) / this.#tickMs);
    const entry: Entry = { dueTick, fn, slot: null };
    const slot = this.#slots[dueTick % this.#slots.length] as Set<Entry>;
    slot.add(entry);
    entry.slot = slot;
    this.#size++;
    this.#arm();
    return () => this.#remove(entry);
  }

  /** Drops every pending entry without running it. */
  clear(): void {
    for (const s of this.#slots) s.clear();
    this.#size = 0;
    this.#disarm();
  }

  #tickOf(ms: number): number {
    return Math.floor(ms / this.#tickMs);
  }

  #remove(entry: Entry): boolean {
    if (!entry.slot) return false;
    entry.slot.delete(entry);
    entry.slot = null;
    this.#size--;
    if (this.#size === 0) this.#disarm();
    return true;
  }

  #arm(): void {
    if (this.#timer) return;
    this.#lastTick = this.#tickOf(this.#now());
    this.#timer = setInterval(() => this.#advance(), this.#tickMs);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Visits every slot passed since the last advance (all of them after a long stall) and fires what is due. */
  #advance(): void {
    const current = this.#tickOf(this.#now());
    const steps = Math.min(current - this.#lastTick, this.#slots.length - 1);
    const due: Entry[] = [];
    // From the last visited slot on: an entry due at that very tick may have been added after the visit.
    for (let i = 0; i <= steps; i++) {
      const slot = this.#slots[(this.#lastTick + i) % this.#slots.length] as Set<Entry>;
      for (const e of slot) if (e.dueTick <= current) due.push(e);
    }
    this.#lastTick = current;
    for (const e of due) if (this.#remove(e)) e.fn();
  }
}
