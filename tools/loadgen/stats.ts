// Latency and rate statistics with constant memory: a log-bucketed histogram (1% relative error,
// ~1,700 buckets from 1 ms to 1 day) instead of keeping every sample, and per-second time series.

/** Exact percentile (nearest rank) of ascending-sorted values; for tests and small samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  if (p <= 0) return sorted[0] as number;
  if (p >= 100) return sorted[sorted.length - 1] as number;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/**
 * Histogram of non-negative values (milliseconds). Values below 1 fall in bucket 0; a value v >= 1
 * falls in bucket 1 + floor(log(v) / log(1 + precision)). Percentiles are read as the bucket's
 * upper edge clipped to the exact observed max, so they are never under-reported and are at most
 * `precision` (relative) above the exact nearest-rank value.
 */
export class LatencyHistogram {
  private counts: number[] = [];
  private readonly logBase: number;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(readonly precision = 0.01) {
    this.logBase = Math.log(1 + precision);
  }

  private index(v: number): number {
    return v < 1 ? 0 : 1 + Math.floor(Math.log(v) / this.logBase);
  }

  private upperEdge(i: number): number {
    return i === 0 ? 1 : Math.exp(i * this.logBase);
  }

  record(value: number, times = 1): void {
    const v = Math.max(0, value);
    const i = this.index(v);
    while (this.counts.length <= i) this.counts.push(0);
    this.counts[i] = (this.counts[i] ?? 0) + times;
    this.count += times;
    this.sum += v * times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: LatencyHistogram): void {
    if (other.precision !== this.precision) throw new Error('cannot merge histograms of different precision');
    while (this.counts.length < other.counts.length) this.counts.push(0);
    other.counts.forEach((c, i) => {
      this.counts[i] = (this.counts[i] ?? 0) + c;
    });
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.max(this.min, Math.min(this.max, this.upperEdge(i)));
    }
    return this.max;
  }

  summary(): LatencySummary {
    const r = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : 0);
    return {
      count: this.count,
      p50: r(this.percentile(50)),
      p95: r(this.percentile(95)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : Number.NaN),
      mean: r(this.count ? this.sum / this.count : Number.NaN),
    };
  }
}

/** One point per second since the run started: counters and latency percentiles. */
export interface SeriesPoint {
  t: number;
  counts: Record<string, number>;
  latency: Record<string, { p50: number; p95: number; p99: number; count: number }>;
}

/** Per-second counters and latency histograms, for rate and latency-over-time charts. */
export class TimeSeries {
  private readonly buckets = new Map<number, { counts: Map<string, number>; hist: Map<string, LatencyHistogram> }>();

  /** Second 0 of the series (movable until the first point is recorded). */
  constructor(public startMs: number) {}

  private bucket(atMs: number) {
    const s = Math.max(0, Math.floor((atMs - this.startMs) / 1000));
    let b = this.buckets.get(s);
    if (!b) {
      b = { counts: new Map(), hist: new Map() };
      this.buckets.set(s, b);
    }
    return b;
  }

  count(name: string, atMs: number, n = 1): void {
    const b = this.bucket(atMs);
    b.counts.set(name, (b.counts.get(name) ?? 0) + n);
  }

  latency(name: string, atMs: number, ms: number): void {
    const b = this.bucket(atMs);
    let h = b.hist.get(name);
    if (!h) {
      h = new LatencyHistogram(0.02);
      b.hist.set(name, h);
    }
    h.record(ms);
  }

  /** Dense points from second 0 to the last second with data (empty seconds are zeros). */
  points(): SeriesPoint[] {
    const last = Math.max(-1, ...this.buckets.keys());
    const out: SeriesPoint[] = [];
    for (let s = 0; s <= last; s++) {
      const b = this.buckets.get(s);
      const latency: SeriesPoint['latency'] = {};
      for (const [k, h] of b?.hist ?? []) {
        const x = h.summary();
        latency[k] = { p50: x.p50, p95: x.p95, p99: x.p99, count: x.count };
      }
      out.push({ t: s, counts: Object.fromEntries(b?.counts ?? []), latency });
    }
    return out;
  }
}

/** Messages per second over a span; 0 for an empty span. */
export function ratePerSecond(count: number, fromMs: number, toMs: number): number {
  const s = (toMs - fromMs) / 1000;
  return s > 0 ? Math.round((count / s) * 10) / 10 : 0;
}
