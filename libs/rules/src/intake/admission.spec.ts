import { admit, BacklogSource, DEFAULT_ADMISSION_POLICY, drainSeconds, ratePerSecond } from './admission';

const src = (over: Partial<BacklogSource> = {}): BacklogSource => ({
  name: 'intake-pending',
  backlog: 0,
  bound: 1000,
  drainPerSecond: 100,
  ...over,
});

describe('admission at the front door', () => {
  it.each([
    [0, true],
    [999, true],
    [1000, true], // at the bound: still admitted
    [1001, false],
  ])('backlog %i against a bound of 1000: admitted %s', (backlog, admitted) => {
    expect(admit([src({ backlog })]).admit).toBe(admitted);
  });

  it('asks to come back when the backlog will be under 80 % of the bound at the measured drain rate', () => {
    // 1500 - 800 = 700 over the resume level, at 100/s: 7 s
    expect(admit([src({ backlog: 1500 })], 0)).toEqual({
      admit: false,
      source: 'intake-pending',
      backlog: 1500,
      bound: 1000,
      drainPerSecond: 100,
      retryAfterSeconds: 7,
    });
    // twice the drain rate: half the wait (3.5 s rounds up)
    expect(admit([src({ backlog: 1500, drainPerSecond: 200 })], 0)).toMatchObject({ retryAfterSeconds: 4 });
  });

  it('spreads callers over up to half as long again, deterministically per spread value', () => {
    const at = (spread: number) => (admit([src({ backlog: 1500 })], spread) as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(at(0)).toBe(7);
    expect(at(0.5)).toBe(Math.ceil(7 * 1.25));
    expect(at(1)).toBe(Math.ceil(7 * 1.5));
    expect(at(-3)).toBe(7);
    expect(at(7)).toBe(Math.ceil(7 * 1.5));
  });

  it('answers the maximum when nothing drains (a stopped consumer), never an infinite or zero wait', () => {
    expect(drainSeconds(src({ backlog: 5000, drainPerSecond: 0 }))).toBe(Number.POSITIVE_INFINITY);
    expect(admit([src({ backlog: 5000, drainPerSecond: 0 })], 1)).toMatchObject({
      retryAfterSeconds: DEFAULT_ADMISSION_POLICY.maxRetryAfterSeconds,
    });
    expect(admit([src({ backlog: 1001, drainPerSecond: 1e9 })], 0)).toMatchObject({ retryAfterSeconds: 1 });
  });

  it('names the source that needs the longest wait', () => {
    const r = admit(
      [
        src({ name: 'intake-pending', backlog: 1100, drainPerSecond: 100 }),
        src({ name: 'claims-consumer-lag', backlog: 9000, bound: 5000, drainPerSecond: 500 }),
        src({ name: 'quiet', backlog: 10, bound: 1 }),
      ],
      0,
    );
    // claims lag: (9000 - 4000) / 500 = 10 s beats intake (3 s) and quiet (0.1 s)
    expect(r).toMatchObject({ admit: false, source: 'claims-consumer-lag', retryAfterSeconds: 10 });
  });

  it('measures a drain rate over the window, across counter resets', () => {
    expect(ratePerSecond([], 10_000)).toBe(0);
    expect(ratePerSecond([{ atMs: 0, total: 5 }], 10_000)).toBe(0);
    expect(
      ratePerSecond(
        [
          { atMs: 0, total: 0 },
          { atMs: 1000, total: 100 },
          { atMs: 2000, total: 300 },
        ],
        10_000,
      ),
    ).toBe(150);
    // samples older than the window are left out
    expect(
      ratePerSecond(
        [
          { atMs: 0, total: 0 },
          { atMs: 20_000, total: 10_000 },
          { atMs: 21_000, total: 10_050 },
        ],
        5_000,
      ),
    ).toBe(50);
    // a restart: the counter starts over from 0
    expect(
      ratePerSecond(
        [
          { atMs: 0, total: 1000 },
          { atMs: 1000, total: 40 },
        ],
        10_000,
      ),
    ).toBe(40);
  });
});
