/**
 * A small log-linear latency histogram (microseconds), compact enough to
 * cross the worker IPC channel and merge across workers and repeats.
 *
 * Values below 128 µs have their own bucket; above that each power of two is
 * split into 64 equal buckets, so a bucket's width is under 1/64 of its
 * value and any percentile is within about 0.8% of the exact one (the
 * bucket's midpoint is reported). Min and max are kept exactly.
 */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // 64
const LINEAR_LIMIT = 2 * SUB; // values below this are exact

export interface HistogramData {
  /** [bucket index, count] pairs, unordered. */
  buckets: Array<[number, number]>;
  count: number;
  min: number;
  max: number;
  sum: number;
}

function bucketOf(v: number): number {
  if (v < LINEAR_LIMIT) return v;
  const k = Math.floor(Math.log2(v));
  const shift = k - SUB_BITS;
  const mantissa = Math.floor(v / 2 ** shift); // in [64, 128)
  return (shift + 1) * SUB + (mantissa - SUB);
}

/** Midpoint of a bucket's value range. */
function valueOf(index: number): number {
  if (index < LINEAR_LIMIT) return index;
  const shift = Math.floor(index / SUB) - 1;
  const mantissa = (index % SUB) + SUB;
  const width = 2 ** shift;
  return mantissa * width + width / 2;
}

export class Histogram {
  private readonly counts = new Map<number, number>();
  count = 0;
  min = Infinity;
  max = 0;
  sum = 0;

  /** Records a value in microseconds (negative values count as 0). */
  record(valueUs: number, times = 1): void {
    const v = valueUs > 0 ? Math.round(valueUs) : 0;
    const b = bucketOf(v);
    this.counts.set(b, (this.counts.get(b) ?? 0) + times);
    this.count += times;
    this.sum += v * times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(data: HistogramData): this {
    for (const [b, c] of data.buckets) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.count += data.count;
    this.sum += data.sum;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min);
      this.max = Math.max(this.max, data.max);
    }
    return this;
  }

  /** Value at quantile q in [0, 1], microseconds; clamped to the exact min and max. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const sorted = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const b of sorted) {
      seen += this.counts.get(b) ?? 0;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(b)));
    }
    return this.max;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  toJSON(): HistogramData {
    return {
      buckets: [...this.counts.entries()],
      count: this.count,
      min: this.count === 0 ? 0 : this.min,
      max: this.max,
      sum: this.sum,
    };
  }

  static from(data: HistogramData | undefined): Histogram {
    const h = new Histogram();
    if (data) h.merge(data);
    return h;
  }
}
