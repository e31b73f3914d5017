import { Topics } from '@platform/contracts';
import { waitFor } from '@platform/testing';
import { accepted, campaignRow, expectInOrderExactlyOnce, PassTestBed, untilTime } from './helpers';
import { claimTimes, expectNoticeInvariant, Notice } from './notices';

jest.setTimeout(90_000);

/**
 * R8 / I6 on a seconds scale (campaign threshold 5 s from the decision's rewards): the estimator
 * re-estimates from the measured rate and the current stall, so a throttled channel and a dead
 * channel both make notices go out, before claim + threshold, once per pass.
 */
describe('delay notices from the estimator', () => {
  const THRESHOLD_S = 5;
  const WARMUP = 'notice-warmup';
  let bed: PassTestBed;

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-notices', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '4', SIM_RATE_LIMIT_BURST: '1', SIM_LATENCY_MEDIAN_MS: '1', SIM_LATENCY_P99_MS: '5' },
      collect: [Topics.passDelayNotice.name, Topics.passReserved.name],
    });
    await bed.startDispatcher({
      DISPATCH_RATE_PER_SECOND: '50',
      ESTIMATOR_INTERVAL_MS: '200',
      WATCHDOG_INTERVAL_MS: '200',
      DELAY_NOTICE_MARGIN_MS: '1000',
      RATE_WINDOW_SECONDS: '2',
    });
    // The thresholds are seconds from the claim: a claim sent before the group has joined would be
    // reserved already late (and rightly noticed at reservation). One pass through first proves
    // the consumer reads and the sender sends.
    await bed.feeder.send('claimDecided', [accepted(0, { campaignId: WARMUP })]);
    await waitFor('warm-up delivered', async () => (await campaignRow(bed.pg, WARMUP))?.sent_watermark === 1, 60_000, 100);
  });

  afterAll(() => bed?.close());

  const notices = (): Notice[] => bed.read('passDelayNotice');
  const claimedAt = () => claimTimes(bed.read('passReserved'));
  /** The campaign's n passes were delivered in slot order, once each, and I6 holds; returns the passes delivered late. */
  const deliveredWithNotices = async (campaignId: string, n: number): Promise<string[]> => {
    const deliveries = await bed.sim.deliveries();
    expectInOrderExactlyOnce(deliveries, campaignId, n);
    return expectNoticeInvariant({ notices: notices(), deliveries, thresholdMs: THRESHOLD_S * 1000, claimedAt: claimedAt(), campaignId });
  };
  const triggers = async (campaignId: string) => {
    const r = await bed.pg.query<{ notice_trigger: string; n: number }>(
      `SELECT notice_trigger, count(*)::int AS n FROM pass WHERE campaign_id = $1 AND notice_at IS NOT NULL GROUP BY 1`,
      [campaignId],
    );
    return Object.fromEntries(r.rows.map((x) => [x.notice_trigger, x.n]));
  };

  it('a throttled channel (4/s for 40 passes): late passes are noticed in time, early ones are not', async () => {
    const campaignId = 'notice-throttled';
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 40 }, (_, i) => accepted(i, { campaignId, pass: { delayNoticeAfterSeconds: THRESHOLD_S } })),
    );
    await waitFor('40 delivered', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 40, 60_000, 200);
    await waitFor('reserved events', () => claimedAt().size >= 41, 10_000);
    await bed.drained(Topics.passDelayNotice.name, Topics.passReserved.name);

    const late = await deliveredWithNotices(campaignId, 40);
    // 40 passes at 4/s take 10 s: a good part comes after 5 s, and the first ones are on time
    expect(late.length).toBeGreaterThan(10);
    const mine = notices().filter((n) => n.campaignId === campaignId);
    expect(mine.length).toBeLessThan(40);
    expect(mine.some((n) => n.slot === 1)).toBe(false);
    // the estimator saw it coming from the measured rate (not only the watchdog at the last moment)
    expect((await triggers(campaignId)).ESTIMATE ?? 0).toBeGreaterThan(0);
  });

  it('a dead channel: the growing stall makes the estimator notice every waiting pass before its deadline', async () => {
    const campaignId = 'notice-dead-channel';
    await bed.sim.configure({ outage: true, ratePerSecond: 0 });
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 20 }, (_, i) => accepted(i, { campaignId, pass: { delayNoticeAfterSeconds: THRESHOLD_S } })),
    );
    await waitFor('20 notices', () => notices().filter((n) => n.campaignId === campaignId).length >= 20, 30_000, 100);
    // the channel stays down past every deadline, so all 20 really are late
    const lastClaim = Math.max(
      ...notices()
        .filter((n) => n.campaignId === campaignId)
        .map((n) => Date.parse(n.claimedAt)),
    );
    // domain time, not synchronisation: the last deadline (+ 300 ms) must have passed
    await untilTime(lastClaim + THRESHOLD_S * 1000 + 300);
    expect((await bed.sim.deliveries()).filter((d) => d.campaignId === campaignId)).toHaveLength(0);
    await bed.sim.configure({ outage: false });
    await waitFor('20 delivered', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 20, 30_000, 200);
    await waitFor('reserved events', () => [...claimedAt().keys()].length >= 61, 10_000);

    const late = await deliveredWithNotices(campaignId, 20);
    expect(late).toHaveLength(20);
    const t = await triggers(campaignId);
    expect((t.ESTIMATE ?? 0) + (t.WATCHDOG ?? 0)).toBe(20);
    expect(t.ESTIMATE ?? 0).toBeGreaterThan(0);
  });
});
