import { claimCounts, CounterSample, perMinute, trimSamples } from './series';

const t0 = Date.parse('2026-12-02T01:00:00Z');
const at = (min: number, sec = 0) => t0 + min * 60_000 + sec * 1000;

describe('perMinute', () => {
  it('gives each whole minute the increase seen in it, against the last value before it', () => {
    const samples: CounterSample[] = [
      { at: at(0, 10), counts: { ACCEPTED: 5 } },
      { at: at(0, 50), counts: { ACCEPTED: 12 } },
      { at: at(1, 20), counts: { ACCEPTED: 30, 'REJECTED:DUPLICATE': 2 } },
      { at: at(2, 30), counts: { ACCEPTED: 31, 'REJECTED:DUPLICATE': 2 } },
    ];
    const buckets = perMinute(samples, at(3, 5), 4);
    expect(buckets.map((b) => [b.minute.slice(11, 16), b.counts, b.partial])).toEqual([
      // first minute: no sample before it, so counted from its first sample and marked partial
      ['01:00', { ACCEPTED: 7 }, true],
      ['01:01', { ACCEPTED: 18, 'REJECTED:DUPLICATE': 2 }, false],
      ['01:02', { ACCEPTED: 1 }, false],
      // the current minute: not over yet, nothing seen
      ['01:03', {}, true],
    ]);
  });

  it('counts from zero again after a counter went down (source reset), and marks minutes before any sample partial', () => {
    const samples: CounterSample[] = [
      { at: at(1, 0), counts: { ACCEPTED: 100 } },
      { at: at(2, 10), counts: { ACCEPTED: 4 } },
    ];
    const buckets = perMinute(samples, at(2, 30), 3);
    expect(buckets.map((b) => [b.counts, b.partial])).toEqual([
      [{}, true],
      [{}, true],
      [{ ACCEPTED: 4 }, true],
    ]);
  });
});

describe('trimSamples', () => {
  it('keeps the window and the one sample before it', () => {
    const s = [1, 2, 3, 4, 5].map((m) => ({ at: at(m) }));
    expect(trimSamples(s, at(5), 2 * 60_000).map((x) => x.at)).toEqual([at(2), at(3), at(4), at(5)]);
    expect(trimSamples(s, at(100), 60_000).map((x) => x.at)).toEqual([at(5)]);
  });
});

describe('claimCounts', () => {
  it('turns the claims stats of a campaign into series keys', () => {
    expect(claimCounts({ accepted: 3, rejected: 2, byReason: { DUPLICATE: 1, '': 1 } })).toEqual({
      ACCEPTED: 3,
      'REJECTED:DUPLICATE': 1,
      'REJECTED:UNSPECIFIED': 1,
    });
    expect(claimCounts(undefined)).toEqual({});
  });
});
