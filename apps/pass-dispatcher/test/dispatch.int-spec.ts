import { Topics } from '@platform/contracts';
import { waitFor } from '@platform/testing';
import { DispatchCoordinator } from '../src/dispatch/dispatch.coordinator';
import { appBearer, accepted, campaignRow, expectInOrderExactlyOnce, PassTestBed } from './helpers';

jest.setTimeout(90_000);

/**
 * R8 / I5 against the channel simulator: sequential dispatch in slot order, exactly once at the
 * channel, through 429 and 5xx storms (5xx also after delivery, so retries hit the idempotency
 * key), with the ops controls (pause, resume, rate) obeyed.
 */
describe('pass dispatch through a hostile channel', () => {
  const campaignId = 'heart-pack-dispatch-test';
  let bed: PassTestBed;

  beforeAll(async () => {
    // channel allows 10/s (burst 1); 20% of requests fail with 5xx, half of them after delivering
    bed = await PassTestBed.start('passes-dispatch', {
      sim: {
        SIM_RATE_LIMIT_PER_SECOND: '10',
        SIM_RATE_LIMIT_BURST: '1',
        SIM_ERROR_RATE: '0.2',
        SIM_LATENCY_MEDIAN_MS: '2',
        SIM_LATENCY_P99_MS: '20',
        SIM_SEED: '11',
      },
      collect: [Topics.passSent.name, Topics.passReserved.name],
    });
    // the dispatcher is told 60/s, far above what the channel allows: 429s are certain
    await bed.startDispatcher(
      { DISPATCH_RATE_PER_SECOND: '60', DISPATCH_RETRY_MAX_MS: '200', DELAY_NOTICE_MARGIN_MS: '0' },
      { http: true },
    );
  });

  afterAll(() => bed?.close());

  const post = async (path: string, body?: unknown, method = 'POST') =>
    fetch(`${bed.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(await appBearer(bed.app, 'ops')) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('delivers 120 passes in slot order, each exactly once, despite 429 and 5xx storms', async () => {
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 120 }, (_, i) => accepted(i, { campaignId })),
    );
    await waitFor('watermark 120', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 120, 60_000, 250);

    expectInOrderExactlyOnce(await bed.sim.deliveries(), campaignId, 120);
    const audit = await bed.sim.audit();
    expect(audit.campaigns).toEqual([
      expect.objectContaining({ campaignId, delivered: 120, inOrder: true, unique: true, contiguousFromOne: true }),
    ]);
    const stats = await bed.sim.stats();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.errorsBeforeDelivery).toBeGreaterThan(0);
    expect(stats.errorsAfterDelivery).toBeGreaterThan(0);
    // every pass whose response was lost after delivery was sent again and answered as a duplicate
    expect(stats.duplicates).toBe(stats.errorsAfterDelivery);

    await waitFor('120 sent events', () => bed.on(Topics.passSent.name).length >= 120, 20_000);
    const reserved = new Map(bed.read('passReserved').map((r) => [r.passId, r]));
    const sent = bed.read('passSent');
    expect(sent).toHaveLength(120);
    expect(new Set(sent.map((s) => s.slot)).size).toBe(120);
    for (const s of sent) {
      expect(reserved.get(s.passId)?.slot).toBe(s.slot);
      expect(Date.parse(s.registerBy) - Date.parse(s.sentAt)).toBe(30 * 86400 * 1000);
    }
    // sentAt follows slot order
    const bySlot = [...sent].sort((a, b) => a.slot - b.slot).map((s) => Date.parse(s.sentAt));
    expect(bySlot).toEqual([...bySlot].sort((a, b) => a - b));
  });

  it('obeys pause, resume and set-rate from the database', async () => {
    expect((await post(`/passes/campaigns/${campaignId}/pause`)).status).toBe(200);
    // no wait: a pass reserved after the pause answered is never sent (the sender re-reads its
    // controls after reading new passes, not only every 500 ms)
    const before = (await bed.sim.deliveries()).length;
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 40 }, (_, i) => accepted(1000 + i, { campaignId })),
    );
    await waitFor('40 more reserved', async () => (await campaignRow(bed.pg, campaignId))?.reserved === 160, 20_000);
    // drain: the sender has read its controls again after the 40 were committed and found the pause
    // (a held sender fetches nothing), then nothing may have gone out
    const pausedReads = () =>
      bed.app
        .get(DispatchCoordinator)
        .leading()
        .find((s) => s.campaignId === campaignId)?.stats.pausedReads ?? 0;
    const seen = pausedReads();
    // + 2: a read already under way when `seen` was taken may predate the commit
    await waitFor('pause re-read after the reservation', () => pausedReads() >= seen + 2, 10_000, 50);
    expect((await bed.sim.deliveries()).length).toBe(before);

    await bed.sim.configure({ ratePerSecond: 0, errorRate: 0 });
    const rate = await post(`/passes/campaigns/${campaignId}/rate`, { perSecond: 10 }, 'PUT');
    expect(await rate.json()).toMatchObject({ campaignId, ratePerSecond: 10, effectiveRatePerSecond: 10 });
    expect((await post(`/passes/campaigns/${campaignId}/rate`, { perSecond: -1 }, 'PUT')).status).toBe(400);
    expect((await post(`/passes/campaigns/${campaignId}/resume`)).status).toBe(200);
    const t0 = Date.now();
    await waitFor('watermark 160', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 160, 30_000, 100);
    const seconds = (Date.now() - t0) / 1000;
    // 40 passes at 10/s take about 4 s (not the unlimited channel's fraction of a second)
    expect(seconds).toBeGreaterThan(3);
    expectInOrderExactlyOnce(await bed.sim.deliveries(), campaignId, 160);

    const status = await bed.getJson<{
      campaigns: Record<string, unknown>[];
      leading: { campaignId: string }[];
    }>('/passes/status');
    expect(status.campaigns[0]).toMatchObject({
      campaignId,
      reserved: 160,
      watermark: 160,
      queued: 0,
      paused: false,
      allowedRatePerSecond: 10,
      estimatedDrainAt: null,
    });
    expect(status.leading.map((l) => l.campaignId)).toEqual([campaignId]);
  });
});
