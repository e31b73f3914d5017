import { Topics } from '@platform/contracts';
import { waitFor } from '@platform/testing';
import { accepted, campaignRow, expectInOrderExactlyOnce, PassTestBed, untilTime } from './helpers';
import { claimTimes, expectNoticeInvariant, Notice } from './notices';

jest.setTimeout(90_000);

/**
 * I6 without any estimate (estimator off) and a channel outage: the watchdog alone notices every
 * unsent pass once claim + threshold - margin is reached, before claim + threshold.
 */
describe('delay-notice watchdog during a channel outage', () => {
  const THRESHOLD_S = 5;
  const MARGIN_MS = 1500;
  const campaignId = 'notice-watchdog';
  let bed: PassTestBed;

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-watchdog', {
      sim: { SIM_OUTAGE: 'true', SIM_RATE_LIMIT_PER_SECOND: '0' },
      collect: [Topics.passDelayNotice.name, Topics.passReserved.name],
    });
    await bed.startDispatcher(
      { ESTIMATOR_INTERVAL_MS: '0', WATCHDOG_INTERVAL_MS: '200', DELAY_NOTICE_MARGIN_MS: String(MARGIN_MS) },
      { http: true },
    );
  });

  afterAll(() => bed?.close());

  const notices = (): Notice[] => bed.read('passDelayNotice');

  it('notices every waiting pass between deadline - margin and the deadline, once, then delivers in order', async () => {
    // claims made 0..1.9 s apart, so deadlines are spread
    const t0 = Date.now();
    const decisions = Array.from({ length: 20 }, (_, i) =>
      accepted(i, { campaignId, requestedAt: new Date(t0 + i * 100), pass: { delayNoticeAfterSeconds: THRESHOLD_S } }),
    );
    await bed.feeder.send('claimDecided', decisions);
    await waitFor('20 notices', () => notices().length >= 20, 30_000, 100);
    expect(await bed.sim.deliveries()).toHaveLength(0);
    for (const n of notices()) {
      const deadline = Date.parse(n.claimedAt) + THRESHOLD_S * 1000;
      // not before the watchdog's moment (no estimator here), and strictly before the deadline
      expect(Date.parse(n.noticedAt)).toBeGreaterThanOrEqual(deadline - MARGIN_MS);
      expect(Date.parse(n.noticedAt)).toBeLessThan(deadline);
      expect(Date.parse(n.estimatedDeliveryAt)).toBeGreaterThanOrEqual(deadline);
    }
    // the stuck sender tells ops why
    const during = await bed.getJson<{
      campaigns: { lastSendError: string | null; stalledSeconds: number }[];
    }>('/passes/status');
    expect(during.campaigns[0]?.lastSendError).toMatch(/HTTP 503/);
    const triggers = await bed.pg.query<{ notice_trigger: string; n: number }>(
      `SELECT notice_trigger, count(*)::int AS n FROM pass GROUP BY 1`,
    );
    expect(triggers.rows).toEqual([{ notice_trigger: 'WATCHDOG', n: 20 }]);

    // stay down past every deadline, then recover
    // domain time, not synchronisation: the last claim's deadline (+ 300 ms) must have passed
    await untilTime(t0 + 1900 + THRESHOLD_S * 1000 + 300);
    await bed.sim.configure({ outage: false });
    await waitFor('20 delivered', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 20, 30_000, 200);
    await waitFor('reserved events', () => bed.on(Topics.passReserved.name).length >= 20, 10_000);
    const claimedAt = claimTimes(bed.read('passReserved'));
    const deliveries = await bed.sim.deliveries();
    expectInOrderExactlyOnce(deliveries, campaignId, 20);
    const late = expectNoticeInvariant({ notices: notices(), deliveries, thresholdMs: THRESHOLD_S * 1000, claimedAt, campaignId });
    expect(late).toHaveLength(20);
    expect(notices()).toHaveLength(20); // still exactly one each

    const status = await bed.getJson<{
      campaigns: { noticesSent: number; noticesByTrigger: Record<string, number> }[];
    }>('/passes/status');
    expect(status.campaigns[0]).toMatchObject({ noticesSent: 20, noticesByTrigger: { WATCHDOG: 20 } });
  });
});
