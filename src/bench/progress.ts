/**
 * The progress display on stderr (stdout carries the table). On a terminal
 * one line is rewritten in place with the current step and its live rate;
 * otherwise (CI logs) each step prints a line when it starts and ends.
 */
const CLEAR = '\r\x1b[K';

export class Progress {
  private step = 0;
  private label = '';
  private readonly tty: boolean;
  private readonly t0 = Date.now();

  constructor(
    private total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = stream.isTTY === true;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  private prefix(): string {
    const secs = Math.round((Date.now() - this.t0) / 1000);
    const w = String(this.total).length;
    return `[${String(this.step).padStart(w)}/${this.total} ${String(secs).padStart(4)}s] ${this.label}`;
  }

  begin(label: string): void {
    this.step++;
    this.label = label;
    if (this.tty) this.stream.write(`${CLEAR}${this.prefix()} ...`);
    else this.stream.write(`${this.prefix()} ...\n`);
  }

  /** Live detail for the current step (terminal only). */
  live(text: string): void {
    if (this.tty) this.stream.write(`${CLEAR}${this.prefix()}  ${text}`);
  }

  end(text: string): void {
    if (this.tty) this.stream.write(`${CLEAR}${this.prefix()}  ${text}\n`);
    else this.stream.write(`${this.prefix()}  ${text}\n`);
  }

  note(text: string): void {
    this.stream.write(`${this.tty ? CLEAR : ''}${text}\n`);
  }
}

/** Sums cumulative progress reports from several workers into a live rate. */
export class LiveRate {
  private readonly records = new Map<number, number>();
  private readonly bytes = new Map<number, number>();
  private last = { t: performance.now(), records: 0, bytes: 0 };
  private text = '';

  constructor(private readonly show: (text: string) => void) {}

  hook(worker: number): (records: number, bytes: number) => void {
    return (records, bytes) => {
      this.records.set(worker, records);
      this.bytes.set(worker, bytes);
      const now = performance.now();
      if (now - this.last.t < 900) return;
      let r = 0;
      let b = 0;
      for (const v of this.records.values()) r += v;
      for (const v of this.bytes.values()) b += v;
      const secs = (now - this.last.t) / 1000;
      this.text = `${((b - this.last.bytes) / 1e6 / secs).toFixed(1)} MB/s  ${Math.round((r - this.last.records) / secs).toLocaleString('en-US')} rec/s`;
      this.last = { t: now, records: r, bytes: b };
      this.show(this.text);
    };
  }
}
