import { Prng } from './prng';
import { LatencyHistogram, percentile, ratePerSecond, TimeSeries } from './stats';

describe('percentile (exact, nearest rank)', () => {
  it('picks the nearest-rank value', () => {
    const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 95)).toBe(10);
    expect(percentile(xs, 10)).toBe(1);
    expect(percentile(xs, 11)).toBe(2);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    expect(percentile([], 50)).toBeNaN();
    expect(percentile([42], 99)).toBe(42);
  });
});

describe('LatencyHistogram', () => {
  it('is within its precision of the exact percentiles on a skewed distribution', () => {
    const p = new Prng(11);
    const h = new LatencyHistogram(0.01);
    const xs: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      // log-normal-ish latencies with a long tail: 1 ms .. ~10 s
      const v = Math.exp(p.next() * 4 + p.next() * p.next() * 5);
      xs.push(v);
      h.record(v);
    }
    xs.sort((a, b) => a - b);
    for (const q of [50, 90, 95, 99, 99.9]) {
      const exact = percentile(xs, q);
      const approx = h.percentile(q);
      expect(approx).toBeGreaterThanOrEqual(exact * 0.999);
      expect(approx).toBeLessThanOrEqual(exact * 1.0101);
    }
    expect(h.percentile(100)).toBe(xs[xs.length - 1]);
    expect(h.count).toBe(50_000);
    expect(h.summary().max).toBeCloseTo(xs[xs.length - 1] as number, 0);
  });

  it('handles sub-millisecond values, repeats and merging', () => {
    const a = new LatencyHistogram();
    a.record(0.2);
    a.record(0);
    a.record(5, 3);
    const b = new LatencyHistogram();
    b.record(1000);
    a.merge(b);
    expect(a.count).toBe(6);
    expect(a.percentile(30)).toBeLessThanOrEqual(1);
    expect(a.percentile(50)).toBeCloseTo(5, 0);
    expect(a.percentile(100)).toBe(1000);
    expect(a.summary()).toMatchObject({ count: 6, max: 1000 });
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 });
    expect(() => a.merge(new LatencyHistogram(0.05))).toThrow();
  });
});

describe('TimeSeries', () => {
  it('buckets per second, dense from 0, with per-second latency percentiles', () => {
    const ts = new TimeSeries(10_000);
    ts.count('sent', 10_100, 5);
    ts.count('sent', 12_900, 2);
    ts.count('decided', 12_000);
    for (let i = 1; i <= 100; i++) ts.latency('decision', 12_500, i);
    const pts = ts.points();
    expect(pts.map((p) => p.t)).toEqual([0, 1, 2]);
    expect(pts[0]?.counts).toEqual({ sent: 5 });
    expect(pts[1]?.counts).toEqual({});
    expect(pts[2]?.counts).toEqual({ sent: 2, decided: 1 });
    expect(pts[2]?.latency.decision?.count).toBe(100);
    expect(pts[2]?.latency.decision?.p50).toBeGreaterThanOrEqual(50);
    expect(pts[2]?.latency.decision?.p50).toBeLessThanOrEqual(52);
  });

  it('computes rates', () => {
    expect(ratePerSecond(1000, 0, 2000)).toBe(500);
    expect(ratePerSecond(10, 5, 5)).toBe(0);
  });
});
