import { estimateDeliveryAt, estimateDrainAt, etaModel, measuredRate, SendProgress } from './eta';

const t0 = new Date('2023-01-06T00:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const progress = (over: Partial<SendProgress> = {}): SendProgress => ({
  now: t0,
  watermark: 100,
  reserved: 1000,
  progressAt: t0,
  measuredRatePerSecond: null,
  allowedRatePerSecond: 100,
  ...over,
});

describe('measured send rate', () => {
  it.each([
    ['no samples', [], null],
    ['one sample', [[0, 10]], null],
    [
      'no progress',
      [
        [0, 10],
        [1000, 10],
      ],
      null,
    ],
    [
      '10 slots in 1 s',
      [
        [0, 10],
        [1000, 20],
      ],
      10,
    ],
    [
      '200 slots in 2 s, unordered',
      [
        [2000, 400],
        [0, 200],
        [1000, 300],
      ],
      100,
    ],
    // only the window ending at the last sample counts: the stall before the old sample is ignored
    [
      'window cuts old samples',
      [
        [0, 0],
        [50_000, 10],
        [60_000, 1010],
      ],
      100,
    ],
  ] as const)('%s', (_name, samples, expected) => {
    const s = samples.map(([ms, wm]) => ({ at: at(ms), watermark: wm }));
    expect(measuredRate(s, 10_000)).toBe(expected);
  });
});

describe('ETA model (R8)', () => {
  it('uses the allowed rate before anything was measured', () => {
    const m = etaModel(progress());
    expect(m.ratePerSecond).toBe(100);
    expect(estimateDeliveryAt(m, 101)).toEqual(at(10));
    expect(estimateDeliveryAt(m, 200)).toEqual(at(1000));
    expect(estimateDrainAt(m, 1000)).toEqual(at(9000));
  });

  it('uses the measured rate when it is lower (a throttled channel)', () => {
    const m = etaModel(progress({ measuredRatePerSecond: 2 }));
    expect(m.ratePerSecond).toBe(2);
    expect(estimateDeliveryAt(m, 110)).toEqual(at(5000));
  });

  it('never assumes more than the allowed rate (ops lowered it)', () => {
    const m = etaModel(progress({ measuredRatePerSecond: 180, allowedRatePerSecond: 50 }));
    expect(m.ratePerSecond).toBe(50);
  });

  it('adds the current stall once more (dead channel: estimates slide later as the stall lasts)', () => {
    const m = etaModel(progress({ now: at(30_000), progressAt: t0 }));
    expect(m.stalledMs).toBe(30_000);
    expect(estimateDeliveryAt(m, 101)).toEqual(at(60_010));
  });

  it('has no stall term when nothing waits', () => {
    const m = etaModel(progress({ now: at(30_000), reserved: 100, watermark: 100 }));
    expect(m.stalledMs).toBe(0);
    expect(estimateDrainAt(m, 100)).toBeNull();
  });

  it('treats the next slot as at least one slot away', () => {
    const m = etaModel(progress());
    expect(estimateDeliveryAt(m, 50)).toEqual(at(10));
  });

  it('ignores a zero or negative measured rate', () => {
    expect(etaModel(progress({ measuredRatePerSecond: 0 })).ratePerSecond).toBe(100);
  });

  it('refuses a non-positive allowed rate', () => {
    expect(() => etaModel(progress({ allowedRatePerSecond: 0 }))).toThrow(RangeError);
  });
});
