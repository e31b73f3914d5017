import { PayloadOf, Topics } from '@platform/contracts';
import { ManualClock } from '@platform/messaging';
import { settle } from '@platform/messaging/testing';
import { waitFor } from '@platform/testing';
import { couponIdFor } from '../src/coupons/coupon-id';
import { ExpirySweep } from '../src/coupons/expiry.sweep';
import { acceptedClaim, Harness, REWARDS_2023, startHarness } from './fixtures';

jest.setTimeout(90_000);

type Reminder = PayloadOf<'couponExpiringSoon'>;
const DAY = 86_400_000;
const LEAD_S = 5;

describe('coupon expiry reminders (issue 19; real Kafka and Postgres)', () => {
  const t0 = new Date('2023-01-10T03:00:00.000Z');
  const t1 = new Date(t0.getTime() + 60_000); // a later issue: its coupons expire a minute later
  const clock = new ManualClock(t0);
  let h: Harness;
  const reminders = (): Reminder[] => h.collector.on(h.topic('couponExpiringSoon')).map((m) => m.json<Reminder>());
  // the shortest validity coupon terms allow (whole days), and a seconds-scale lead
  const terms = { membersOnly: true, amountsWon: [2000, 3000], validityDays: 1, minPaidWon: 100, remindBeforeExpirySeconds: LEAD_S };
  const rewards = { ...REWARDS_2023, coupons: terms };
  const expiresAt = t0.getTime() + DAY;
  const remindAt = expiresAt - LEAD_S * 1000;

  beforeAll(async () => {
    h = await startHarness('coupons_remind', clock, [Topics.couponIssued.name, Topics.couponExpiringSoon.name]);
    await h.feeder.send('claimDecided', [
      acceptedClaim('a', t0, { rewards }),
      acceptedClaim('used', t0, { rewards }),
      acceptedClaim('silent', t0, { rewards: { ...REWARDS_2023, coupons: { ...terms, remindBeforeExpirySeconds: undefined } } }),
    ]);
    await waitFor('6 coupons stored', async () => (await h.count(`SELECT count(*) n FROM coupon`)) === 6);
    clock.set(t1);
    await h.feeder.send('claimDecided', [acceptedClaim('late', t1, { rewards })]);
    await waitFor('the later claim stored', async () => (await h.count(`SELECT count(*) n FROM coupon`)) === 8);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('reminds each unredeemed coupon once, lead seconds before expiresAt; none for a redeemed one or without a lead', async () => {
    const sweeper = h.app.get(ExpirySweep);
    const used = couponIdFor('claim-used', 0);
    clock.set(new Date(t0.getTime() + 3_600_000));
    const res = await fetch(`${await h.app.getUrl()}/coupons/${used}/redemptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-remind-use', ...(await h.bearer('shop-backend')) },
      body: JSON.stringify({ accountId: 'acct-used', orderId: 'order-r1', orderAmountWon: 10_000 }),
    });
    expect(((await res.json()) as { status: string }).status).toBe('REDEEMED');

    clock.set(new Date(remindAt - 1));
    expect(await sweeper.remindAll()).toBe(0);
    clock.set(new Date(remindAt)); // due at exactly expiresAt - lead
    // two sweeps at once (as two replicas would): between them, each due coupon once
    const [x, y] = await Promise.all([sweeper.remindAll(), sweeper.remindAll()]);
    expect(x + y).toBe(3);
    expect(await sweeper.remindAll()).toBe(0);
    await settle(h.app, h.collector, [h.topic('couponExpiringSoon')]);
    expect(
      reminders()
        .map((r) => r.couponId)
        .sort(),
    ).toEqual([couponIdFor('claim-a', 0), couponIdFor('claim-a', 1), couponIdFor('claim-used', 1)].sort());
    expect(reminders().find((r) => r.couponId === couponIdFor('claim-a', 1))).toEqual({
      couponId: couponIdFor('claim-a', 1),
      accountId: 'acct-a',
      campaignId: 'kakao-2023-heart-pack',
      amountWon: 3000,
      expiresAt: new Date(expiresAt).toISOString(),
      remindedAt: new Date(remindAt).toISOString(),
    });
  });

  it('never reminds twice: another sweep after a restart sends nothing more', async () => {
    await h.app.close();
    h.app = await h.startApp();
    clock.set(new Date(expiresAt - 1));
    expect(await h.app.get(ExpirySweep).remindAll()).toBe(0);
    await settle(h.app, h.collector, [h.topic('couponExpiringSoon')]);
    expect(reminders()).toHaveLength(3);
  });

  it('does not remind a coupon whose end passed before any sweep ran (late sweep): it expires instead', async () => {
    const sweeper = h.app.get(ExpirySweep);
    const lateExpiry = t1.getTime() + DAY;
    clock.set(new Date(lateExpiry)); // acct-late's reminder was due 5 s ago, but the coupon has ended
    expect(await sweeper.sweepAll()).toBe(7); // all 8 coupons but the redeemed one
    expect(await sweeper.remindAll()).toBe(0);
    await settle(h.app, h.collector, [h.topic('couponExpiringSoon')]);
    expect(reminders().some((r) => r.accountId === 'acct-late' || r.accountId === 'acct-silent')).toBe(false);
    expect(await h.count(`SELECT count(*) n FROM coupon WHERE reminded_at IS NOT NULL`)).toBe(3);
  });
});
