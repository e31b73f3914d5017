import { PayloadOf, Topics } from '@platform/contracts';
import { ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { ExpirySweep } from '../src/registration/expiry.sweep';
import { accepted, campaignRow, PassTestBed } from './helpers';

jest.setTimeout(90_000);

type Reminder = PayloadOf<'passRegistrationExpiringSoon'>;

/**
 * Issue 19 on an injected clock, with seconds-scale terms: a sent, unregistered pass gets
 * talkdrawer.pass.registration.expiring-soon.v1 once, LEAD_S before registerBy; a registered pass, a
 * pass of a campaign without a lead and a pass already past registerBy get none.
 */
describe('pass registration reminders', () => {
  const reminded = 'heart-pack-remind';
  const silent = 'heart-pack-no-remind';
  const WINDOW_S = 60;
  const LEAD_S = 10;
  const T0 = new Date('2023-01-10T03:00:00.000Z');
  const clock = new ManualClock(T0);
  const registerBy = new Date(T0.getTime() + WINDOW_S * 1000);
  const remindAt = new Date(registerBy.getTime() - LEAD_S * 1000);
  let bed: PassTestBed;
  const reminders = (): Reminder[] => bed.read('passRegistrationExpiringSoon');
  const startApp = () => bed.startDispatcher({ REGISTRATION_NOT_SENT_WAIT_MS: '0' }, { clock });

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-remind', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '0' },
      collect: [Topics.passRegistrationExpiringSoon.name, Topics.passRegistrationDecided.name],
    });
    await startApp();
    const terms = { registrationWindowSeconds: WINDOW_S };
    await bed.feeder.send('claimDecided', [
      ...Array.from({ length: 4 }, (_, i) =>
        accepted(i, { campaignId: reminded, requestedAt: T0, pass: { ...terms, remindBeforeRegistrationEndsSeconds: LEAD_S } }),
      ),
      ...Array.from({ length: 2 }, (_, i) => accepted(i, { campaignId: silent, requestedAt: T0, pass: terms })),
    ]);
    await waitFor(
      '6 sent',
      async () => (await campaignRow(bed.pg, reminded))?.sent_watermark === 4 && (await campaignRow(bed.pg, silent))?.sent_watermark === 2,
      60_000,
      200,
    );
  });

  afterAll(() => bed?.close());

  it('reminds each sent, unregistered pass once, lead seconds before registerBy; never a registered one', async () => {
    const passes = (
      await bed.pg.query<{ pass_id: string; account_id: string; register_by: Date }>(
        'SELECT pass_id, account_id, register_by FROM pass WHERE campaign_id = $1 ORDER BY slot',
        [reminded],
      )
    ).rows;
    expect(passes.map((p) => new Date(p.register_by).toISOString())).toEqual(Array(4).fill(registerBy.toISOString()));
    const [first] = passes;
    if (!first) throw new Error('no pass');
    await bed.feeder.send('passRegistrationRequested', [
      { eventId: 'reg-first', passId: first.pass_id, accountId: first.account_id, requestedAt: T0.toISOString() },
    ]);
    await waitFor('registered', () => bed.on(Topics.passRegistrationDecided.name).length === 1, 30_000);

    const sweep = bed.app.get(ExpirySweep);
    clock.set(new Date(remindAt.getTime() - 1));
    expect(await sweep.remindOnce()).toBe(0);
    clock.set(remindAt); // due at exactly registerBy - lead
    // two sweeps at once (as two replicas would): between them, each due pass once
    const [a, b] = await Promise.all([sweep.remindOnce(), sweep.remindOnce()]);
    expect(a + b).toBe(3);
    expect(await sweep.remindOnce()).toBe(0);
    await waitFor('3 reminders', () => reminders().length >= 3, 20_000);
    expect(
      reminders()
        .map((r) => r.passId)
        .sort(),
    ).toEqual(
      passes
        .slice(1)
        .map((p) => p.pass_id)
        .sort(),
    );
    for (const r of reminders())
      expect(r).toMatchObject({ campaignId: reminded, registerBy: registerBy.toISOString(), remindedAt: remindAt.toISOString() });
  });

  it('never twice: a restart and later sweeps, up to and past registerBy, send nothing more', async () => {
    await bed.closeApp();
    await startApp();
    const sweep = bed.app.get(ExpirySweep);
    clock.set(registerBy); // registerBy is inclusive: still in time, but already reminded
    expect(await sweep.remindOnce()).toBe(0);
    clock.set(new Date(registerBy.getTime() + 1));
    expect(await sweep.remindOnce()).toBe(0);
    const marked = await bed.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM pass WHERE registration_reminded_at IS NOT NULL');
    expect(marked.rows[0]?.n).toBe(3);
    // a marker through the same topic proves nothing else was still on its way
    await bed.pg.query(`UPDATE pass SET registration_reminded_at = NULL, register_by = $1 WHERE campaign_id = $2 AND slot = 2`, [
      new Date(clock.now().getTime() + LEAD_S * 1000),
      reminded,
    ]);
    expect(await sweep.remindOnce()).toBe(1);
    await waitFor('the marker reminder', () => reminders().length >= 4, 20_000);
    expect(reminders()).toHaveLength(4);
    expect(reminders().some((r) => r.campaignId === silent)).toBe(false);
  });

  it('sends none for a pass whose registration window ended before any sweep ran', async () => {
    const sweep = bed.app.get(ExpirySweep);
    // slot 3's registerBy is long past and it was never reminded: too late to remind
    await bed.pg.query(`UPDATE pass SET registration_reminded_at = NULL WHERE campaign_id = $1 AND slot = 3`, [reminded]);
    expect(await sweep.remindOnce()).toBe(0);
  });
});
