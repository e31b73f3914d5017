import { TokenBucket } from './token-bucket';

describe('token bucket', () => {
  it('lets a burst through, then refills at the rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0)].every((r) => r.ok)).toBe(true);
    expect(b.take(0)).toEqual({ ok: false, retryAfterMs: 100 });
    expect(b.take(50)).toEqual({ ok: false, retryAfterMs: 50 });
    expect(b.take(100)).toEqual({ ok: true });
    expect(b.take(100).ok).toBe(false);
  });

  it('never stores more than the burst', () => {
    const b = new TokenBucket(100, 2, 0);
    const results = [b.take(10_000), b.take(10_000), b.take(10_000)];
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
  });

  it('admits exactly rate x time (+ burst) over a long run', () => {
    const b = new TokenBucket(200, 1, 0);
    let ok = 0;
    for (let t = 0; t < 10_000; t += 1) if (b.take(t).ok) ok++; // one attempt per ms for 10 s
    expect(ok).toBe(2000);
  });

  it('rate 0 is unlimited', () => {
    const b = new TokenBucket(0, 1, 0);
    for (let i = 0; i < 1000; i++) expect(b.take(0).ok).toBe(true);
  });

  it('reconfigures without granting a burst above the new capacity', () => {
    const b = new TokenBucket(10, 10, 0);
    b.reconfigure(1, 1, 0);
    expect(b.take(0).ok).toBe(true);
    expect(b.take(0)).toEqual({ ok: false, retryAfterMs: 1000 });
  });
});
