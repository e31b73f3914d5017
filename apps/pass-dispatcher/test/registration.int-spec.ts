import { randomUUID } from 'node:crypto';
import { PayloadOf, Topics } from '@platform/contracts';
import { ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { ExpirySweep } from '../src/registration/expiry.sweep';
import { accepted, campaignRow, PassTestBed } from './helpers';

jest.setTimeout(90_000);

type Decided = PayloadOf<'passRegistrationDecided'>;
type Request = PayloadOf<'passRegistrationRequested'>;

const DAY = 86_400_000;

/**
 * R9 on an injected clock: registerBy = sentAt + 30 days, INCLUSIVE (a registration made exactly
 * at registerBy is in time, 1 ms later is REGISTRATION_EXPIRED); the expiry sweep runs a grace
 * period after registerBy; a repeated request (same eventId) gets the same answer.
 */
describe('pass registration and expiry at the 30-day boundary', () => {
  const campaignId = 'heart-pack-registration';
  const T0 = new Date('2023-01-10T03:00:00.000Z');
  const clock = new ManualClock(T0);
  const registerBy = new Date(T0.getTime() + 30 * DAY);
  const GRACE_S = 300;
  let bed: PassTestBed;
  let passes: { pass_id: string; account_id: string; slot: number }[] = [];

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-registration', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '0' },
      collect: [Topics.passRegistrationDecided.name, Topics.passExpired.name, Topics.passSent.name],
    });
    // On a manual clock deferred retries never fall due: NOT_SENT_YET is answered at once here
    // (the wait for an uncommitted delivery is tested in registration-wait.int-spec.ts).
    await bed.startDispatcher({ EXPIRY_GRACE_SECONDS: String(GRACE_S), REGISTRATION_NOT_SENT_WAIT_MS: '0' }, { clock });

    const claimed = new Date(T0.getTime() - 3600_000);
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 6 }, (_, i) => accepted(i, { campaignId, requestedAt: claimed })),
    );
    await waitFor('6 sent', async () => (await campaignRow(bed.pg, campaignId))?.sent_watermark === 6, 60_000, 200);
    passes = (
      await bed.pg.query<{ pass_id: string; account_id: string; slot: number }>('SELECT pass_id, account_id, slot FROM pass ORDER BY slot')
    ).rows;
  });

  afterAll(() => bed?.close());

  const decided = (): Decided[] => bed.read('passRegistrationDecided');
  const pass = (slot: number) => {
    const p = passes.find((x) => x.slot === slot);
    if (!p) throw new Error(`no pass at slot ${slot}`);
    return p;
  };
  const request = (eventId: string, passId: string, accountId: string, requestedAt: Date): Request => ({
    eventId,
    passId,
    accountId,
    requestedAt: requestedAt.toISOString(),
  });
  const answer = (eventId: string) => decided().filter((d) => d.eventId === eventId);

  it('sent passes carry registerBy = sentAt + 30 days', async () => {
    await waitFor('6 sent events', () => bed.on(Topics.passSent.name).length >= 6, 20_000);
    for (const m of bed.on(Topics.passSent.name)) {
      expect(m.json<PayloadOf<'passSent'>>()).toMatchObject({ sentAt: T0.toISOString(), registerBy: registerBy.toISOString() });
    }
  });

  it('decides every request at the boundaries, with every reason', async () => {
    // one more pass that cannot be sent (channel down)
    await bed.sim.configure({ outage: true });
    await bed.feeder.send('claimDecided', [accepted(99, { campaignId, requestedAt: T0 })]);
    await waitFor('7 reserved', async () => (await campaignRow(bed.pg, campaignId))?.reserved === 7, 20_000, 100);
    const unsent = (await bed.pg.query<{ pass_id: string; account_id: string }>('SELECT pass_id, account_id FROM pass WHERE slot = 7'))
      .rows[0];
    if (!unsent) throw new Error('slot 7 missing');

    await bed.feeder.send('passRegistrationRequested', [
      request('reg-at-boundary', pass(1).pass_id, pass(1).account_id, registerBy),
      request('reg-1ms-late', pass(2).pass_id, pass(2).account_id, new Date(registerBy.getTime() + 1)),
      request('reg-not-owner', pass(3).pass_id, 'someone-else', T0),
      request('reg-unknown', randomUUID(), pass(4).account_id, T0),
      request('reg-garbage-id', 'not-a-pass-id', pass(4).account_id, T0),
      request('reg-not-sent', unsent.pass_id, unsent.account_id, T0),
    ]);
    await waitFor('6 decisions', () => decided().length >= 6, 30_000);
    // a second registration of pass 1, earlier, by another request: same validity (registration is once)
    await bed.feeder.send('passRegistrationRequested', [
      request('reg-again', pass(1).pass_id, pass(1).account_id, new Date(registerBy.getTime() - DAY)),
    ]);
    await waitFor('7 decisions', () => decided().length >= 7, 30_000);

    const validUntil = new Date(registerBy.getTime() + 30 * DAY).toISOString();
    expect(answer('reg-at-boundary')).toEqual([
      {
        eventId: 'reg-at-boundary',
        passId: pass(1).pass_id,
        accountId: pass(1).account_id,
        status: 'REGISTERED',
        validUntil,
        decidedAt: T0.toISOString(),
      },
    ]);
    expect(answer('reg-1ms-late')).toEqual([expect.objectContaining({ status: 'REJECTED', reason: 'REGISTRATION_EXPIRED' })]);
    expect(answer('reg-not-owner')).toEqual([
      expect.objectContaining({ status: 'REJECTED', reason: 'NOT_OWNER', accountId: 'someone-else' }),
    ]);
    expect(answer('reg-unknown')).toEqual([expect.objectContaining({ status: 'REJECTED', reason: 'UNKNOWN_PASS' })]);
    expect(answer('reg-garbage-id')).toEqual([
      expect.objectContaining({ status: 'REJECTED', reason: 'UNKNOWN_PASS', passId: 'not-a-pass-id' }),
    ]);
    expect(answer('reg-not-sent')).toEqual([expect.objectContaining({ status: 'REJECTED', reason: 'NOT_SENT_YET' })]);
    expect(answer('reg-again')).toEqual([expect.objectContaining({ status: 'REGISTERED', validUntil })]);
    for (const d of decided()) expect(d.validUntil === undefined).toBe(d.status === 'REJECTED');
  });

  it('answers a repeated request (same eventId, new offset) with the very same decision', async () => {
    clock.advance(60_000); // a new decision would carry a new decidedAt
    await bed.feeder.send('passRegistrationRequested', [
      request('reg-at-boundary', pass(1).pass_id, pass(1).account_id, registerBy),
      request('reg-1ms-late', pass(2).pass_id, pass(2).account_id, new Date(registerBy.getTime() + 1)),
    ]);
    await waitFor('2 repeated answers', () => answer('reg-at-boundary').length === 2 && answer('reg-1ms-late').length === 2, 30_000);
    const [a1, a2] = answer('reg-at-boundary');
    const [b1, b2] = answer('reg-1ms-late');
    expect(a2).toEqual(a1);
    expect(b2).toEqual(b1);
    const stored = await bed.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM pass_registration');
    expect(stored.rows[0]?.n).toBe(7);
  });

  it('expires unregistered sent passes only after registerBy + grace, once', async () => {
    const sweep = bed.app.get(ExpirySweep);
    const expired = () => bed.read('passExpired');
    clock.set(new Date(registerBy.getTime() + GRACE_S * 1000));
    expect(await sweep.sweepOnce()).toBe(0);
    clock.set(new Date(registerBy.getTime() + GRACE_S * 1000 + 1));
    // passes 2..6: sent, not registered; pass 1 is registered, pass 7 was never sent
    expect(await sweep.sweepOnce()).toBe(5);
    expect(await sweep.sweepOnce()).toBe(0);
    await waitFor('5 expired events', () => expired().length >= 5, 20_000);
    expect(
      expired()
        .map((e) => e.passId)
        .sort(),
    ).toEqual([2, 3, 4, 5, 6].map((s) => pass(s).pass_id).sort());
    for (const e of expired())
      expect(e).toMatchObject({ campaignId, registerBy: registerBy.toISOString(), expiredAt: clock.now().toISOString() });

    // a tap made in time but processed after the sweep (a backlog) is still honoured (R1); a late
    // one stays expired
    await bed.feeder.send('passRegistrationRequested', [
      request('reg-after-sweep', pass(4).pass_id, pass(4).account_id, registerBy),
      request('reg-late-after-sweep', pass(5).pass_id, pass(5).account_id, new Date(registerBy.getTime() + 1)),
    ]);
    await waitFor(
      'answers after sweep',
      () => answer('reg-after-sweep').length === 1 && answer('reg-late-after-sweep').length === 1,
      30_000,
    );
    expect(answer('reg-after-sweep')[0]).toMatchObject({ status: 'REGISTERED' });
    expect(answer('reg-late-after-sweep')[0]).toMatchObject({ status: 'REJECTED', reason: 'REGISTRATION_EXPIRED' });
  });
});
