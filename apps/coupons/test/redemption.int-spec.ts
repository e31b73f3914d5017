import { Client } from 'pg';
import { dlqName, PayloadOf, Topics } from '@platform/contracts';
import { DLQ_HEADERS, ManualClock } from '@platform/messaging';
import { settle } from '@platform/messaging/testing';
import { waitFor } from '@platform/testing';
import { couponIdFor } from '../src/coupons/coupon-id';
import { ExpirySweep } from '../src/coupons/expiry.sweep';
import { acceptedClaim, Harness, RedemptionRequested, startHarness } from './fixtures';

jest.setTimeout(90_000);

type Decided = PayloadOf<'couponRedemptionDecided'>;
const DAY = 86_400_000;
const c2000 = (id: string): string => couponIdFor(`claim-${id}`, 0);
const c3000 = (id: string): string => couponIdFor(`claim-${id}`, 1);

describe('coupon redemption on the event and HTTP paths (real Kafka and Postgres)', () => {
  const t0 = new Date(Math.floor(Date.now() / 1000) * 1000);
  const clock = new ManualClock(t0);
  const oldIssuedAt = new Date(t0.getTime() - 30 * DAY - 3_600_000); // these coupons expired an hour before t0
  let h: Harness;
  let base: string;

  const decided = (): Decided[] => h.collector.on(h.topic('couponRedemptionDecided')).map((m) => m.json<Decided>());
  const decisionsOf = (eventId: string): Decided[] => decided().filter((d) => d.eventId === eventId);
  const requestsDlq = () => h.collector.on(h.prefix + dlqName(Topics.couponRedemptionRequested.name));
  const request = (
    eventId: string,
    couponId: string,
    accountId: string,
    orderAmountWon: number,
    over: Partial<RedemptionRequested> = {},
  ): RedemptionRequested => ({
    eventId,
    couponId,
    accountId,
    orderId: `order-${eventId}`,
    orderAmountWon,
    requestedAt: new Date().toISOString(),
    ...over,
  });
  const awaitDecisions = (ids: string[]): Promise<Map<string, Decided>> =>
    waitFor(`decisions for ${ids.join(', ')}`, () => {
      const m = new Map(decided().map((d) => [d.eventId, d]));
      return ids.every((i) => m.has(i)) ? m : undefined;
    });
  const redeem = async (couponId: string, key: string | null, body: unknown) =>
    fetch(`${base}/coupons/${encodeURIComponent(couponId)}/redemptions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(await h.bearer('shop-backend')),
        ...(key === null ? {} : { 'idempotency-key': key }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const redeemJson = async (
    couponId: string,
    key: string,
    body: unknown,
  ): Promise<{ status: number; body: Decided; replayed: boolean }> => {
    const r = await redeem(couponId, key, body);
    return { status: r.status, body: (await r.json()) as Decided, replayed: r.headers.get('idempotent-replayed') === 'true' };
  };
  /**
   * Holds the coupons' row locks on a connection of our own while `start` sends competing requests,
   * until at least `waiters` transactions of the service are queued on those locks; then lets go, so
   * they really run against each other.
   */
  const whileLocked = async <T>(couponIds: readonly string[], waiters: number, start: () => Promise<T>): Promise<T> => {
    const pg = new Client({ connectionString: h.db.url });
    await pg.connect();
    try {
      await pg.query('BEGIN');
      await pg.query('SELECT 1 FROM coupon WHERE coupon_id = ANY($1) FOR UPDATE', [couponIds]);
      const running = start();
      running.catch(() => undefined); // awaited below; do not let a failure go unhandled meanwhile
      await waitFor(`${waiters} transactions queued on the coupon locks`, async () => {
        const n = await h.count(`SELECT count(*) n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [h.db.name]);
        return n >= waiters;
      });
      await pg.query('COMMIT');
      return await running;
    } finally {
      await pg.end();
    }
  };
  const outcome = (d: Decided | undefined): string =>
    !d
      ? 'none'
      : d.status === 'REDEEMED'
        ? `REDEEMED paid=${d.paidAmountWon} discount=${d.discountWon}`
        : `${d.reason} paid=${d.paidAmountWon} discount=${d.discountWon}`;

  beforeAll(async () => {
    h = await startHarness('coupons_redeem', clock, [
      Topics.couponIssued.name,
      Topics.couponRedemptionDecided.name,
      dlqName(Topics.couponRedemptionRequested.name),
    ]);
    base = await h.app.getUrl();
    clock.set(oldIssuedAt);
    await h.feeder.send('claimDecided', [acceptedClaim('old', oldIssuedAt)]);
    await waitFor('old coupons', async () => (await h.count(`SELECT count(*) n FROM coupon`)) === 2);
    clock.set(t0);
    const ids = [
      'b1',
      'b2',
      'b3',
      'r1',
      'h1',
      'x1',
      ...Array.from({ length: 5 }, (_, i) => `race${i}`),
      ...Array.from({ length: 5 }, (_, i) => `mix${i}`),
    ];
    await h.feeder.send(
      'claimDecided',
      ids.map((id) => acceptedClaim(id, t0)),
    );
    await waitFor('coupons issued', async () => (await h.count(`SELECT count(*) n FROM coupon`)) === 2 + 2 * ids.length);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('event path: the 100-won minimum after discount, at the boundary, for both coupons', async () => {
    await h.feeder.send('couponRedemptionRequested', [
      request('e-b1-2099', c2000('b1'), 'acct-b1', 2099),
      request('e-b1-2100', c2000('b1'), 'acct-b1', 2100),
      request('e-b1-3099', c3000('b1'), 'acct-b1', 3099),
      request('e-b1-3100', c3000('b1'), 'acct-b1', 3100),
      request('e-b1-again', c2000('b1'), 'acct-b1', 50_000),
    ]);
    const d = await awaitDecisions(['e-b1-2099', 'e-b1-2100', 'e-b1-3099', 'e-b1-3100', 'e-b1-again']);
    expect(outcome(d.get('e-b1-2099'))).toBe('MIN_PAYMENT paid=null discount=0');
    expect(outcome(d.get('e-b1-2100'))).toBe('REDEEMED paid=100 discount=2000');
    expect(outcome(d.get('e-b1-3099'))).toBe('MIN_PAYMENT paid=null discount=0');
    expect(outcome(d.get('e-b1-3100'))).toBe('REDEEMED paid=100 discount=3000');
    expect(outcome(d.get('e-b1-again'))).toBe('ALREADY_USED paid=null discount=0');
    expect(d.get('e-b1-2100')).toEqual({
      eventId: 'e-b1-2100',
      couponId: c2000('b1'),
      orderId: 'order-e-b1-2100',
      accountId: 'acct-b1',
      status: 'REDEEMED',
      paidAmountWon: 100,
      discountWon: 2000,
      decidedAt: t0.toISOString(),
    });
  });

  it('HTTP path: the same boundary, same rules, published with eventId = the idempotency key', async () => {
    const body = (orderAmountWon: number) => ({ accountId: 'acct-b2', orderId: `order-h-${orderAmountWon}`, orderAmountWon });
    const r2099 = await redeemJson(c2000('b2'), 'k-b2-2099', body(2099));
    const r2100 = await redeemJson(c2000('b2'), 'k-b2-2100', body(2100));
    const r3099 = await redeemJson(c3000('b2'), 'k-b2-3099', body(3099));
    const r3100 = await redeemJson(c3000('b2'), 'k-b2-3100', body(3100));
    expect([r2099, r2100, r3099, r3100].map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(outcome(r2099.body)).toBe('MIN_PAYMENT paid=null discount=0');
    expect(outcome(r2100.body)).toBe('REDEEMED paid=100 discount=2000');
    expect(outcome(r3099.body)).toBe('MIN_PAYMENT paid=null discount=0');
    expect(outcome(r3100.body)).toBe('REDEEMED paid=100 discount=3000');
    const d = await awaitDecisions(['k-b2-2099', 'k-b2-2100', 'k-b2-3099', 'k-b2-3100']);
    expect(d.get('k-b2-2100')).toEqual(r2100.body);
    expect(d.get('k-b2-2099')).toEqual(r2099.body);
  });

  it('rejects unknown, foreign, used, invalid and forged requests with reasons; parks schema-breaking ones', async () => {
    const dlqBefore = requestsDlq().length;
    await h.feeder.send('couponRedemptionRequested', [
      request('e-unknown', 'cpn_does_not_exist', 'acct-b3', 10_000),
      request('e-foreign', c2000('b3'), 'acct-someone-else', 10_000),
      request('e-neg', c2000('b3'), 'acct-b3', -1),
      request('e-frac', c2000('b3'), 'acct-b3', 2100.5),
      request('e-absurd', c2000('b3'), 'acct-b3', 100_000_001),
      request('e-forged', c2000('b3'), 'acct-b3', 10_000, { requestedAt: new Date(Date.now() + 3_600_000).toISOString() }),
      request('e-max', c3000('b3'), 'acct-b3', 100_000_000),
      JSON.stringify({ ...request('e-string-amount', c2000('b3'), 'acct-b3', 0), orderAmountWon: '2100' }),
      JSON.stringify({ ...request('e-mistyped', c2000('b3'), 'acct-b3', 5000), couponId: 42 }),
      '{not json',
    ]);
    const d = await awaitDecisions(['e-unknown', 'e-foreign', 'e-neg', 'e-frac', 'e-absurd', 'e-forged', 'e-max']);
    expect(outcome(d.get('e-unknown'))).toBe('UNKNOWN_COUPON paid=null discount=0');
    expect(outcome(d.get('e-foreign'))).toBe('NOT_OWNER paid=null discount=0');
    expect(outcome(d.get('e-neg'))).toBe('INVALID paid=null discount=0');
    expect(outcome(d.get('e-frac'))).toBe('INVALID paid=null discount=0');
    expect(outcome(d.get('e-absurd'))).toBe('INVALID paid=null discount=0');
    expect(outcome(d.get('e-forged'))).toBe('INVALID paid=null discount=0');
    expect(outcome(d.get('e-max'))).toBe('REDEEMED paid=99997000 discount=3000');
    await waitFor('3 dead letters', () => requestsDlq().length >= dlqBefore + 3);
    const reasons = requestsDlq()
      .slice(dlqBefore)
      .map((m) => m.headers[DLQ_HEADERS.reason]);
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SCHEMA_VIOLATION: orderAmountWon/),
        expect.stringMatching(/^SCHEMA_VIOLATION: couponId/),
        expect.stringMatching(/^MALFORMED_JSON/),
      ]),
    );
    // the coupon the invalid ones aimed at is still unused
    expect(await h.count(`SELECT count(*) n FROM coupon WHERE coupon_id = $1 AND redeemed_by IS NULL`, [c2000('b3')])).toBe(1);
  });

  it('the same event redelivered yields the same decision (not ALREADY_USED); a reused eventId with another body is parked', async () => {
    const first = request('e-r1', c2000('r1'), 'acct-r1', 5000);
    await h.feeder.send('couponRedemptionRequested', [first]);
    await awaitDecisions(['e-r1']);
    const dlqBefore = requestsDlq().length;
    await h.feeder.send('couponRedemptionRequested', [
      { ...first, requestedAt: new Date().toISOString() },
      first,
      { ...first, orderAmountWon: 6000 },
      request('e-r1-marker', c3000('r1'), 'acct-r1', 5000),
    ]);
    await awaitDecisions(['e-r1-marker']);
    await waitFor('3 answers for e-r1', () => decisionsOf('e-r1').length >= 3);
    const answers = decisionsOf('e-r1');
    expect(answers).toHaveLength(3);
    expect(answers.every((a) => outcome(a) === 'REDEEMED paid=3000 discount=2000')).toBe(true);
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1); // identical, decidedAt included
    await waitFor('reused eventId parked', () => requestsDlq().length > dlqBefore);
    expect(
      requestsDlq()
        .slice(dlqBefore)
        .map((m) => m.headers[DLQ_HEADERS.reason]),
    ).toEqual([expect.stringMatching(/^EVENT_ID_REUSED: eventId e-r1 was already decided for a different request/)]);
    expect(await h.count(`SELECT count(*) n FROM redemption WHERE coupon_id = $1`, [c2000('r1')])).toBe(1);
  });

  it('HTTP path: idempotency key replay, key reuse (422) and bad input (400, or INVALID when only the amount is wrong)', async () => {
    const body = { accountId: 'acct-h1', orderId: 'order-h1', orderAmountWon: 12_000 };
    const first = await redeemJson(c2000('h1'), 'k-h1', body);
    expect(first.status).toBe(200);
    expect(first.replayed).toBe(false);
    expect(outcome(first.body)).toBe('REDEEMED paid=10000 discount=2000');
    const again = await redeemJson(c2000('h1'), 'k-h1', body);
    expect(again).toEqual({ status: 200, body: first.body, replayed: true });
    expect((await redeem(c2000('h1'), 'k-h1', { ...body, orderAmountWon: 12_001 })).status).toBe(422);
    expect((await redeem(c3000('h1'), 'k-h1', body)).status).toBe(422);
    // a different key for the used coupon
    expect(outcome((await redeemJson(c2000('h1'), 'k-h1-second', body)).body)).toBe('ALREADY_USED paid=null discount=0');

    const bad: [string, string | null, unknown][] = [
      [c3000('h1'), null, body],
      [c3000('h1'), 'has space', body],
      [c3000('h1'), 'x'.repeat(129), body],
      [c3000('h1'), 'k-bad-1', { accountId: 'acct-h1', orderAmountWon: 5000 }],
      [c3000('h1'), 'k-bad-2', { ...body, orderAmountWon: '5000' }],
      [c3000('h1'), 'k-bad-3', { ...body, extra: true }],
      [c3000('h1'), 'k-bad-4', '{not json'],
      [c3000('h1'), 'k-bad-5', [body]],
      ['bad coupon id', 'k-bad-6', body],
    ];
    for (const [couponId, key, b] of bad) expect([couponId, key, (await redeem(couponId, key, b)).status]).toEqual([couponId, key, 400]);

    for (const [key, amount] of [
      ['k-inv-neg', -5],
      ['k-inv-frac', 3100.25],
      ['k-inv-absurd', 100_000_001],
    ] as const) {
      const r = await redeemJson(c3000('h1'), key, { ...body, orderAmountWon: amount });
      expect([key, r.status, outcome(r.body)]).toEqual([key, 200, 'INVALID paid=null discount=0']);
    }
    const d = await awaitDecisions(['k-h1', 'k-h1-second', 'k-inv-neg', 'k-inv-frac', 'k-inv-absurd']);
    expect(d.get('k-h1')).toEqual(first.body);
    await settle(h.app, h.collector, [h.topic('couponRedemptionDecided')]);
    expect(decisionsOf('k-h1')).toHaveLength(1); // replays answered from the store, not published again
    expect(decided().filter((x) => x.eventId.startsWith('k-bad'))).toHaveLength(0);
    expect(await h.count(`SELECT count(*) n FROM coupon WHERE coupon_id = $1 AND redeemed_by IS NULL`, [c3000('h1')])).toBe(1);
  });

  it('two checkouts racing over HTTP with different keys (each on its own connection): exactly one REDEEMED per coupon', async () => {
    const coupons = Array.from({ length: 5 }, (_, i) => [`race${i}`, c2000(`race${i}`)] as const).concat(
      Array.from({ length: 5 }, (_, i) => [`race${i}`, c3000(`race${i}`)] as const),
    );
    const results = await whileLocked(
      coupons.map(([, c]) => c),
      20,
      () =>
        Promise.all(
          coupons.flatMap(([id, couponId]) =>
            ['a', 'b'].map((side) =>
              redeemJson(couponId, `k-${couponId}-${side}`, {
                accountId: `acct-${id}`,
                orderId: `order-${couponId}-${side}`,
                orderAmountWon: 10_000,
              }),
            ),
          ),
        ),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    for (const [, couponId] of coupons) {
      const mine = results
        .filter((r) => r.body.couponId === couponId)
        .map((r) => (r.body.status === 'REDEEMED' ? 'REDEEMED' : r.body.reason));
      expect([couponId, mine.sort()]).toEqual([couponId, ['ALREADY_USED', 'REDEEMED']]);
    }
    expect(
      await h.count(`SELECT count(*) n FROM redemption WHERE status = 'REDEEMED' AND coupon_id = ANY($1)`, [coupons.map((c) => c[1])]),
    ).toBe(10);
  });

  it('an event and an HTTP request racing for the same coupon: exactly one REDEEMED', async () => {
    const coupons = Array.from({ length: 5 }, (_, i) => [`mix${i}`, c2000(`mix${i}`)] as const).concat(
      Array.from({ length: 5 }, (_, i) => [`mix${i}`, c3000(`mix${i}`)] as const),
    );
    // all 10 HTTP requests and at least one consumer transaction queue on the locks, then race
    const http = await whileLocked(
      coupons.map(([, c]) => c),
      11,
      async () => {
        await h.feeder.send(
          'couponRedemptionRequested',
          coupons.map(([id, couponId]) => request(`e-${couponId}`, couponId, `acct-${id}`, 10_000)),
        );
        return Promise.all(
          coupons.map(([id, couponId]) =>
            redeemJson(couponId, `k-${couponId}`, { accountId: `acct-${id}`, orderId: `order-${couponId}`, orderAmountWon: 10_000 }),
          ),
        );
      },
    );
    const events = await awaitDecisions(coupons.map(([, c]) => `e-${c}`));
    for (const [, couponId] of coupons) {
      const both = [events.get(`e-${couponId}`), http.find((r) => r.body.couponId === couponId)?.body];
      expect([couponId, both.map((d) => (d?.status === 'REDEEMED' ? 'REDEEMED' : d?.reason)).sort()]).toEqual([
        couponId,
        ['ALREADY_USED', 'REDEEMED'],
      ]);
    }
    const httpWins = http.filter((r) => r.body.status === 'REDEEMED').length;
    console.log(`event vs HTTP race: HTTP won ${httpWins} of 10 coupons, events won ${10 - httpWins}`);
    expect(
      await h.count(`SELECT count(*) n FROM redemption WHERE status = 'REDEEMED' AND coupon_id = ANY($1)`, [coupons.map((c) => c[1])]),
    ).toBe(10);
    expect(
      await h.count(`SELECT count(*) n FROM coupon WHERE redeemed_by IS NOT NULL AND coupon_id = ANY($1)`, [coupons.map((c) => c[1])]),
    ).toBe(10);
  });

  it('expiry boundary: at exactly expiresAt the coupon is EXPIRED (HTTP judged now, events at requestedAt)', async () => {
    // HTTP: judged at the service clock
    const expiresAt = new Date(t0.getTime() + 30 * DAY);
    const body = { accountId: 'acct-x1', orderId: 'order-x1', orderAmountWon: 10_000 };
    clock.set(expiresAt);
    expect(outcome((await redeemJson(c2000('x1'), 'k-x1-at', body)).body)).toBe('EXPIRED paid=null discount=0');
    clock.set(new Date(expiresAt.getTime() - 1));
    expect(outcome((await redeemJson(c2000('x1'), 'k-x1-before', body)).body)).toBe('REDEEMED paid=8000 discount=2000');
    clock.set(t0);
    // events: judged when the checkout asked (a backlog never costs the buyer), never later than now
    const oldExpiry = new Date(oldIssuedAt.getTime() + 30 * DAY);
    await h.feeder.send('couponRedemptionRequested', [
      request('e-old-at', c2000('old'), 'acct-old', 10_000, { requestedAt: oldExpiry.toISOString() }),
      request('e-old-before', c2000('old'), 'acct-old', 10_000, { requestedAt: new Date(oldExpiry.getTime() - 1).toISOString() }),
      request('e-old-now', c3000('old'), 'acct-old', 10_000),
    ]);
    const d = await awaitDecisions(['e-old-at', 'e-old-before', 'e-old-now']);
    expect(outcome(d.get('e-old-at'))).toBe('EXPIRED paid=null discount=0');
    expect(outcome(d.get('e-old-before'))).toBe('REDEEMED paid=8000 discount=2000');
    expect(outcome(d.get('e-old-now'))).toBe('EXPIRED paid=null discount=0');
  });

  it('a checkout made in time but processed after the expiry sweep (a backlog) is honoured; a late one is not', async () => {
    const sweeper = h.app.get(ExpirySweep);
    clock.set(oldIssuedAt); // issued 30 days and an hour ago: expired an hour ago
    await h.feeder.send('claimDecided', [acceptedClaim('bk1', oldIssuedAt)]);
    await waitFor('bk1 coupons', async () => (await h.count(`SELECT count(*) n FROM coupon WHERE account_id = 'acct-bk1'`)) === 2);
    const expiresAt = new Date(oldIssuedAt.getTime() + 30 * DAY);
    clock.set(t0);
    await sweeper.sweepAll(); // coupon.expired.v1 announced for both
    expect(await h.count(`SELECT count(*) n FROM coupon WHERE coupon_id = $1 AND expired_at IS NOT NULL`, [c3000('bk1')])).toBe(1);
    await h.feeder.send('couponRedemptionRequested', [
      request('e-backlog-in-time', c3000('bk1'), 'acct-bk1', 10_000, { requestedAt: new Date(expiresAt.getTime() - 1).toISOString() }),
      request('e-backlog-late', c2000('bk1'), 'acct-bk1', 10_000, { requestedAt: expiresAt.toISOString() }),
    ]);
    const d = await awaitDecisions(['e-backlog-in-time', 'e-backlog-late']);
    expect(outcome(d.get('e-backlog-in-time'))).toBe('REDEEMED paid=7000 discount=3000');
    expect(outcome(d.get('e-backlog-late'))).toBe('EXPIRED paid=null discount=0');
    expect(await h.count(`SELECT count(*) n FROM coupon WHERE coupon_id = $1 AND redeemed_by = 'e-backlog-in-time'`, [c3000('bk1')])).toBe(
      1,
    );
  });
});
