import { PayloadOf, Topics } from '@platform/contracts';
import { waitFor } from '@platform/testing';
import { accepted, PassTestBed } from './helpers';
import { Notice } from './notices';

jest.setTimeout(90_000);

/**
 * Issue 17 (R8 / I6): a claim held up (e.g. by a zone outage) so long that its pass is reserved when
 * its deadline is already within the notice margin gets its delay notice in the reservation
 * transaction, not at a later timer tick. Estimator and watchdog are off; the channel is down and a
 * fresh pass holds slot 1, so the sender never reaches the late pass: only the reservation can notice it.
 */
describe('delay notice at reservation', () => {
  const THRESHOLD_S = 60;
  const MARGIN_MS = 10_000;
  const campaignId = 'notice-at-reservation';
  let bed: PassTestBed;

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-reservation-notice', {
      sim: { SIM_OUTAGE: 'true' },
      collect: [Topics.passDelayNotice.name, Topics.passReserved.name],
    });
    await bed.startDispatcher({ ESTIMATOR_INTERVAL_MS: '0', WATCHDOG_INTERVAL_MS: '0', DELAY_NOTICE_MARGIN_MS: String(MARGIN_MS) });
  });

  afterAll(() => bed?.close());

  const notices = (): Notice[] => bed.read('passDelayNotice');
  const reserved = (): PayloadOf<'passReserved'>[] => bed.read('passReserved');
  const passOf = async (claimId: string) =>
    (
      await bed.pg.query<{ pass_id: string; slot: number; reserved_at: Date; notice_at: Date | null; notice_trigger: string | null }>(
        `SELECT pass_id, slot, reserved_at, notice_at, notice_trigger FROM pass WHERE claim_id = $1`,
        [claimId],
      )
    ).rows[0];

  it('notices a pass reserved within the margin of its deadline in the reservation transaction, and not a fresh one', async () => {
    const pass = { delayNoticeAfterSeconds: THRESHOLD_S };
    // slot 1: a fresh claim; the channel is down, so the sender stays on it
    const fresh = accepted(0, { campaignId, pass });
    await bed.feeder.send('claimDecided', [fresh]);
    await waitFor('fresh pass reserved', () => reserved().some((r) => r.claimId === fresh.claimId), 30_000, 100);

    // slot 2: a claim made threshold - margin + 5 s ago, so its deadline is 5 s away (within the margin)
    const late = accepted(1, { campaignId, pass, requestedAt: new Date(Date.now() - (THRESHOLD_S * 1000 - MARGIN_MS + 5000)) });
    await bed.feeder.send('claimDecided', [late]);
    await waitFor('notice of the late pass', () => notices().some((n) => n.accountId === late.accountId), 30_000, 100);

    const latePass = await passOf(late.claimId);
    expect(latePass).toMatchObject({ slot: 2, notice_trigger: 'RESERVATION' });
    expect(latePass?.notice_at?.getTime()).toBe(latePass?.reserved_at.getTime());
    const notice = notices().find((n) => n.accountId === late.accountId);
    expect(notice).toMatchObject({ passId: latePass?.pass_id, campaignId, slot: 2, claimedAt: late.requestedAt });
    expect(Date.parse(notice?.noticedAt ?? '')).toBe(latePass?.reserved_at.getTime());
    const deadline = Date.parse(late.requestedAt) + THRESHOLD_S * 1000;
    expect(Date.parse(notice?.noticedAt ?? '')).toBeLessThan(deadline);
    expect(Date.parse(notice?.estimatedDeliveryAt ?? '')).toBeGreaterThanOrEqual(deadline);
    expect(await bed.sim.deliveries()).toHaveLength(0);

    // the fresh pass, reserved before (its batch is committed), was not noticed: its deadline is far
    expect(await passOf(fresh.claimId)).toMatchObject({ slot: 1, notice_at: null, notice_trigger: null });
    expect(notices()).toHaveLength(1);
  });
});
