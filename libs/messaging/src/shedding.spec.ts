import type { Kafka } from 'kafkajs';
import { LoadShedder, nextShedState, RUNNING, SheddingPolicy, ShedState } from './shedding';
import { TopicNamer } from './topic-namer';

const policy: SheddingPolicy = { mode: 'auto', lagAbove: 1000, resumeBelow: 100, maxShedMs: 60_000, checkMs: 1000 };

/** Runs the rule over a series of (lag, at) observations in auto mode. */
function run(obs: [number | null, number][], from: ShedState = RUNNING): ShedState[] {
  const out: ShedState[] = [];
  let s = from;
  for (const [lag, at] of obs) out.push((s = nextShedState(s, 'auto', lag, at, policy)));
  return out;
}

describe('nextShedState (service priorities)', () => {
  it('starts above lagAbove, keeps going through the band between the thresholds, stops below resumeBelow', () => {
    const s = run([
      [1000, 0], // at the threshold: not above it
      [1001, 1000],
      [500, 2000], // in the band: still shedding (hysteresis)
      [100, 3000], // not below resumeBelow yet
      [99, 4000],
      [500, 5000], // in the band again, but not above lagAbove: stays running
    ]);
    expect(s.map((x) => x.active)).toEqual([false, true, true, true, false, false]);
    expect(s[1]).toMatchObject({ since: 1000, reason: 'claims lag 1001 > 1000' });
    expect(s[4]).toMatchObject({ since: null, reason: 'claims lag 99 < 100' });
  });

  it('never sheds longer than maxShedMs in one go, then runs for at least half of it before shedding again', () => {
    const s = run([
      [5000, 0],
      [5000, 59_999],
      [5000, 60_000], // bound reached while still overloaded: run again
      [5000, 60_000 + 29_999], // cooling down: overloaded, but shed work gets its turn
      [5000, 60_000 + 30_000],
    ]);
    expect(s.map((x) => x.active)).toEqual([true, true, false, false, true]);
    expect(s[2]).toMatchObject({ cooldownUntil: 90_000, reason: 'shed for 60 s: running again' });
  });

  it('an unknown lag neither starts shedding nor ends it early (the bound still ends it)', () => {
    expect(run([[null, 0]])[0]?.active).toBe(false);
    const s = run([
      [5000, 0],
      [null, 10_000],
      [null, 60_000],
    ]);
    expect(s.map((x) => x.active)).toEqual([true, true, false]);
  });

  it('ops on sheds whatever the lag; ops off stops at once and keeps it off', () => {
    const on = nextShedState(RUNNING, 'on', 0, 5, policy);
    expect(on).toMatchObject({ active: true, since: 5, reason: 'shedding on (ops)' });
    expect(nextShedState(on, 'on', 0, 10, policy)).toBe(on);
    // ops on during an automatic period: the reason says ops, the period keeps its start
    const auto = nextShedState(RUNNING, 'auto', 5000, 100, policy);
    expect(nextShedState(auto, 'on', 5000, 200, policy)).toMatchObject({ active: true, since: 100, reason: 'shedding on (ops)' });
    const off = nextShedState(on, 'off', 1_000_000, 20, policy);
    expect(off).toMatchObject({ active: false, since: null, reason: 'shedding off' });
    expect(nextShedState(off, 'off', 1_000_000, 30, policy)).toBe(off);
  });
});

describe('LoadShedder ops switch', () => {
  it('takes effect in the answer even while a lag measurement is under way', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    // a Kafka admin whose offset read hangs until released: lag 0 once it answers
    const kafka = {
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchOffsets: async () => {
          await slow;
          return [{ topic: 't', partitions: [{ partition: 0, offset: '5' }] }];
        },
        fetchTopicOffsets: async () => [{ partition: 0, offset: '5', high: '5', low: '0' }],
      }),
    } as unknown as Kafka;
    const shedder = new LoadShedder(policy, kafka, new TopicNamer(''), '');
    const inFlight = shedder.check(); // reads mode auto, waits on Kafka
    const switched = shedder.set('on', 60_000);
    release();
    await Promise.all([inFlight, switched]);
    expect(shedder.status()).toMatchObject({ mode: 'on', active: true, reason: 'shedding on (ops)' });
    await shedder.stop();
  });
});
