import { lognormalMs, seededRandom } from './random';

describe('seeded random', () => {
  it('is reproducible and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});

describe('lognormal latency', () => {
  const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.floor(q * (xs.length - 1))] ?? NaN;

  it('has the configured median and p99 (within sampling error)', () => {
    const r = seededRandom(7);
    const xs = Array.from({ length: 20_000 }, () => lognormalMs(r, 5, 50));
    expect(quantile(xs, 0.5)).toBeGreaterThan(4.7);
    expect(quantile(xs, 0.5)).toBeLessThan(5.3);
    expect(quantile(xs, 0.99)).toBeGreaterThan(44);
    expect(quantile(xs, 0.99)).toBeLessThan(56);
  });

  it.each([
    [0, 10, 0],
    [5, 5, 5],
    [5, 1, 5],
  ])('median %p p99 %p is constant %p', (median, p99, expected) => {
    expect(lognormalMs(seededRandom(1), median, p99)).toBe(expected);
  });

  it('is capped', () => {
    const r = seededRandom(3);
    for (let i = 0; i < 1000; i++) expect(lognormalMs(r, 1000, 100_000, 2000)).toBeLessThanOrEqual(2000);
  });
});
