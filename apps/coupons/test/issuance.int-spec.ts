import { dlqName, PayloadOf, Topics } from '@platform/contracts';
import { DLQ_HEADERS, ManualClock } from '@platform/messaging';
import { settle } from '@platform/messaging/testing';
import { waitFor } from '@platform/testing';
import { couponIdFor } from '../src/coupons/coupon-id';
import { ExpirySweep } from '../src/coupons/expiry.sweep';
import { acceptedClaim, campaignDefined, ClaimDecided, Harness, REWARDS_2023, rejectedClaim, startHarness } from './fixtures';

jest.setTimeout(90_000);

type Issued = PayloadOf<'couponIssued'>;
type Expired = PayloadOf<'couponExpired'>;
const DAY = 86_400_000;

describe('coupon issuance and expiry (real Kafka and Postgres)', () => {
  const t0 = new Date('2023-01-10T03:00:00.000Z');
  const clock = new ManualClock(t0);
  let h: Harness;
  const issued = (): Issued[] => h.collector.on(h.topic('couponIssued')).map((m) => m.json<Issued>());
  const expired = (): Expired[] => h.collector.on(h.topic('couponExpired')).map((m) => m.json<Expired>());
  const claimsDlq = () => h.collector.on(h.prefix + dlqName(Topics.claimDecided.name));
  const count = (sql: string): Promise<number> => h.count(sql);

  beforeAll(async () => {
    h = await startHarness('coupons_issue', clock, [
      Topics.couponIssued.name,
      Topics.couponExpired.name,
      dlqName(Topics.claimDecided.name),
    ]);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('issues the campaign coupons to members only, announcing each once with expiresAt = issuedAt + validityDays', async () => {
    await h.feeder.send('claimDecided', [
      acceptedClaim('m1', t0),
      acceptedClaim('n1', t0, { makersMember: false }),
      rejectedClaim('r1', t0),
      acceptedClaim('open1', t0, {
        makersMember: false,
        rewards: { ...REWARDS_2023, coupons: { membersOnly: false, amountsWon: [1000], validityDays: 30, minPaidWon: 100 } },
      }),
      acceptedClaim('none1', t0, { rewards: { ...REWARDS_2023, coupons: null } }),
      acceptedClaim('m2', t0),
    ]);
    await waitFor('5 coupons issued', () => issued().length >= 5);
    await waitFor('the last claim applied', async () => (await count(`SELECT count(*) n FROM coupon WHERE account_id = 'acct-m2'`)) === 2);
    expect(
      issued()
        .map((i) => `${i.accountId}:${i.amountWon}`)
        .sort(),
    ).toEqual(['acct-m1:2000', 'acct-m1:3000', 'acct-m2:2000', 'acct-m2:3000', 'acct-open1:1000']);
    const m1 = issued().filter((i) => i.accountId === 'acct-m1');
    for (const [idx, c] of [...m1].sort((a, b) => a.amountWon - b.amountWon).entries()) {
      expect(c).toEqual({
        couponId: couponIdFor('claim-m1', idx),
        accountId: 'acct-m1',
        claimId: 'claim-m1',
        eventId: 'ev-claim-m1',
        campaignId: 'kakao-2023-heart-pack',
        amountWon: idx === 0 ? 2000 : 3000,
        issuedAt: t0.toISOString(),
        expiresAt: new Date(t0.getTime() + 30 * DAY).toISOString(),
      });
    }
    expect(await count(`SELECT count(*) n FROM coupon`)).toBe(5);
    expect(claimsDlq()).toHaveLength(0);
  });

  it('never issues twice for the same claim: republished decisions, a restart, then the same decision again', async () => {
    await h.feeder.send('claimDecided', [
      acceptedClaim('m1', t0),
      acceptedClaim('m1', t0),
      acceptedClaim('dup', t0),
      acceptedClaim('dup', t0),
    ]);
    await waitFor('dup issued', () => issued().filter((i) => i.accountId === 'acct-dup').length >= 2);
    await h.app.close();
    clock.advance(60_000);
    h.app = await h.startApp();
    await h.feeder.send('claimDecided', [acceptedClaim('dup', t0), acceptedClaim('m2', t0), acceptedClaim('after', t0)]);
    await waitFor('marker claim applied', () => issued().filter((i) => i.accountId === 'acct-after').length >= 2);
    await settle(h.app, h.collector, [h.topic('couponIssued')]); // consumed, published, collected: a stray coupon would be here
    const per = new Map<string, number>();
    for (const i of issued()) per.set(i.couponId, (per.get(i.couponId) ?? 0) + 1);
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    expect(issued()).toHaveLength(9);
    expect(await count(`SELECT count(*) n FROM coupon`)).toBe(9);
    expect(await count(`SELECT count(*) n FROM coupon WHERE account_id = 'acct-dup'`)).toBe(2);
  });

  it('expires unused coupons at exactly expiresAt, once each, leaving used ones alone', async () => {
    const sweeper = h.app.get(ExpirySweep);
    const base = await h.app.getUrl();
    // use one of acct-m1's coupons through the HTTP path while still valid
    const used = couponIdFor('claim-m1', 0);
    clock.set(new Date(t0.getTime() + 5 * DAY));
    const res = await fetch(`${base}/coupons/${used}/redemptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'k-expiry-use', ...(await h.bearer('shop-backend')) },
      body: JSON.stringify({ accountId: 'acct-m1', orderId: 'order-1', orderAmountWon: 10_000 }),
    });
    expect(((await res.json()) as { status: string }).status).toBe('REDEEMED');

    // every coupon so far was issued at t0, except acct-after's two, issued after the restart at t0 + 60 s
    const expiresAt = t0.getTime() + 30 * DAY;
    clock.set(new Date(expiresAt - 1));
    expect(await sweeper.sweepOnce()).toBe(0);
    const reader = await h.bearer('reader');
    const view1 = (await (await fetch(`${base}/coupons/acct-m1`, { headers: reader })).json()) as {
      coupons: { couponId: string; state: string }[];
    };
    expect(view1.coupons.map((c) => c.state).sort()).toEqual(['ACTIVE', 'REDEEMED']);

    clock.set(new Date(expiresAt)); // at exactly expiresAt: expired
    expect(await sweeper.sweepAll()).toBe(6);
    expect(await sweeper.sweepOnce()).toBe(0);
    clock.set(new Date(expiresAt + 60_000 - 1));
    expect(await sweeper.sweepOnce()).toBe(0);
    clock.set(new Date(expiresAt + 60_000));
    expect(await sweeper.sweepOnce()).toBe(2);
    clock.advance(DAY);
    expect(await sweeper.sweepOnce()).toBe(0);
    await settle(h.app, h.collector, [h.topic('couponExpired')]);
    expect(expired()).toHaveLength(8);
    expect(new Set(expired().map((e) => e.couponId)).size).toBe(8);
    expect(expired().some((e) => e.couponId === used)).toBe(false);
    expect(expired().filter((e) => e.expiredAt === new Date(expiresAt).toISOString())).toHaveLength(6);
    expect(
      expired()
        .filter((e) => e.accountId === 'acct-after')
        .map((e) => e.expiredAt),
    ).toEqual([new Date(expiresAt + 60_000).toISOString(), new Date(expiresAt + 60_000).toISOString()]);

    const view2 = (await (await fetch(`${base}/coupons/acct-m1`, { headers: reader })).json()) as {
      accountId: string;
      coupons: { couponId: string; state: string; amountWon: number; expiresAt: string; orderId?: string }[];
    };
    expect(view2.accountId).toBe('acct-m1');
    expect(view2.coupons).toEqual([
      expect.objectContaining({
        couponId: used,
        amountWon: 2000,
        state: 'REDEEMED',
        orderId: 'order-1',
        expiresAt: new Date(expiresAt).toISOString(),
      }),
      expect.objectContaining({ couponId: couponIdFor('claim-m1', 1), amountWon: 3000, state: 'EXPIRED' }),
    ]);
    expect((await (await fetch(`${base}/coupons/acct-nobody`, { headers: reader })).json()) as unknown).toEqual({
      accountId: 'acct-nobody',
      coupons: [],
    });
    expect((await fetch(`${base}/coupons/${encodeURIComponent('bad id')}`, { headers: reader })).status).toBe(400);
  });

  it('a decision without rewards uses the campaign definition, waiting for it; an unknown campaign ends in the DLQ', async () => {
    const at = new Date(t0.getTime() + 40 * DAY);
    clock.set(at);
    await h.feeder.send('campaignDefined', [
      campaignDefined('camp-known', { membersOnly: false, amountsWon: [700], validityDays: 3, minPaidWon: 100 }, at),
    ]);
    await waitFor(
      'camp-known stored',
      async () => (await count(`SELECT count(*) n FROM campaign_reward WHERE campaign_id = 'camp-known'`)) === 1,
    );
    const strip = ({ rewards: _r, ...rest }: ClaimDecided): ClaimDecided => rest;
    await h.feeder.send('claimDecided', [
      strip(acceptedClaim('known', at, { campaignId: 'camp-known', makersMember: false })),
      strip(acceptedClaim('late', at, { campaignId: 'camp-late' })),
      strip(acceptedClaim('orphan', at, { campaignId: 'camp-never' })),
    ]);
    await waitFor('acct-known issued', () => issued().some((i) => i.accountId === 'acct-known'));
    expect(issued().filter((i) => i.accountId === 'acct-known')).toEqual([
      expect.objectContaining({
        campaignId: 'camp-known',
        amountWon: 700,
        issuedAt: at.toISOString(),
        expiresAt: new Date(at.getTime() + 3 * DAY).toISOString(),
      }),
    ]);
    await waitFor('two deferred', async () => (await count(`SELECT count(*) n FROM deferred_message`)) === 2);
    expect(await count(`SELECT count(*) n FROM coupon WHERE account_id IN ('acct-late', 'acct-orphan')`)).toBe(0);

    await h.feeder.send('campaignDefined', [
      campaignDefined('camp-late', { membersOnly: true, amountsWon: [5000], validityDays: 7, minPaidWon: 100 }, at),
    ]);
    await waitFor(
      'camp-late stored',
      async () => (await count(`SELECT count(*) n FROM campaign_reward WHERE campaign_id = 'camp-late'`)) === 1,
    );
    clock.advance(1000); // the deferred decisions are due again
    await waitFor('acct-late issued', () => issued().some((i) => i.accountId === 'acct-late'));
    const retriedAt = new Date(at.getTime() + 1000);
    expect(issued().filter((i) => i.accountId === 'acct-late')).toEqual([
      expect.objectContaining({
        campaignId: 'camp-late',
        amountWon: 5000,
        issuedAt: retriedAt.toISOString(),
        expiresAt: new Date(retriedAt.getTime() + 7 * DAY).toISOString(),
      }),
    ]);
    expect(claimsDlq()).toHaveLength(0);

    clock.advance(11 * 60_000); // past COUPON_REWARDS_WAIT_MS (10 min by default)
    await waitFor('orphan parked', () => claimsDlq().length >= 1);
    expect(claimsDlq()).toHaveLength(1);
    expect(claimsDlq()[0]?.headers[DLQ_HEADERS.reason]).toMatch(
      /^DEFERRED_TIMEOUT: UNKNOWN_REWARDS: claim claim-orphan is ACCEPTED without rewards and campaign camp-never/,
    );
    expect(await count(`SELECT count(*) n FROM deferred_message`)).toBe(0);
    expect(await count(`SELECT count(*) n FROM coupon WHERE account_id = 'acct-orphan'`)).toBe(0);
  });
});
