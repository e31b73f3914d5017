import { CouponState, decideRedemption, isCouponExpired, isValidOrderAmount, redemptionInstant } from './index';

const expiresAt = new Date('2023-02-09T12:00:00+09:00');
const before = new Date(expiresAt.getTime() - 1);
const coupon = (over: Partial<CouponState> = {}): CouponState => ({
  accountId: 'acct-1',
  amountWon: 2000,
  minPaidWon: 100,
  expiresAt,
  redeemed: false,
  expiryAnnounced: false,
  ...over,
});
const outcome = (c: CouponState | undefined, orderAmountWon: number, at = before, accountId = 'acct-1'): string => {
  const o = decideRedemption(c, { accountId, orderAmountWon }, at);
  return o.status === 'REDEEMED' ? `REDEEMED paid=${o.paidAmountWon} discount=${o.discountWon}` : o.reason;
};

describe('minimum payment after discount (R6: at least 100 won paid)', () => {
  it.each([
    [2000, 2100, 'REDEEMED paid=100 discount=2000'],
    [2000, 2099, 'MIN_PAYMENT'],
    [2000, 2000, 'MIN_PAYMENT'],
    [2000, 0, 'MIN_PAYMENT'],
    [2000, 50_000, 'REDEEMED paid=48000 discount=2000'],
    [3000, 3100, 'REDEEMED paid=100 discount=3000'],
    [3000, 3099, 'MIN_PAYMENT'],
    [3000, 2100, 'MIN_PAYMENT'],
  ])('coupon %i on order %i -> %s', (amountWon, order, expected) => {
    expect(outcome(coupon({ amountWon }), order)).toBe(expected);
  });

  it('uses the campaign minimum, not a constant', () => {
    expect(outcome(coupon({ minPaidWon: 0 }), 2000)).toBe('REDEEMED paid=0 discount=2000');
    expect(outcome(coupon({ minPaidWon: 500 }), 2499)).toBe('MIN_PAYMENT');
    expect(outcome(coupon({ minPaidWon: 500 }), 2500)).toBe('REDEEMED paid=500 discount=2000');
  });
});

describe('expiry boundary: usable while at < expiresAt; at exactly expiresAt it is EXPIRED', () => {
  it.each([
    [new Date(expiresAt.getTime() - 1), 'REDEEMED paid=1000 discount=2000'],
    [expiresAt, 'EXPIRED'],
    [new Date(expiresAt.getTime() + 1), 'EXPIRED'],
  ])('at %s -> %s', (at, expected) => {
    expect(outcome(coupon(), 3000, at)).toBe(expected);
  });

  it('a request made in time is honoured even after the sweep announced the expiry (backlog)', () => {
    expect(outcome(coupon({ expiryAnnounced: true }), 3000, before)).toBe('REDEEMED paid=1000 discount=2000');
    expect(outcome(coupon({ expiryAnnounced: true }), 3000, expiresAt)).toBe('EXPIRED');
  });

  it('isCouponExpired is the same boundary', () => {
    expect(isCouponExpired(expiresAt, before)).toBe(false);
    expect(isCouponExpired(expiresAt, expiresAt)).toBe(true);
  });
});

describe('order of checks', () => {
  it.each<[string, CouponState | undefined, number, string, string]>([
    ['unknown coupon', undefined, 5000, 'acct-1', 'UNKNOWN_COUPON'],
    ['someone else', coupon(), 5000, 'acct-2', 'NOT_OWNER'],
    ['someone else, used and expired: reveals nothing', coupon({ redeemed: true, expiryAnnounced: true }), 5000, 'acct-2', 'NOT_OWNER'],
    ['used', coupon({ redeemed: true }), 5000, 'acct-1', 'ALREADY_USED'],
    ['used and expired', coupon({ redeemed: true, expiryAnnounced: true }), 5000, 'acct-1', 'ALREADY_USED'],
    ['announced expired, in time, too small', coupon({ expiryAnnounced: true }), 2000, 'acct-1', 'MIN_PAYMENT'],
    ['invalid amount on an unknown coupon', undefined, -1, 'acct-1', 'INVALID'],
    ['invalid amount on a used coupon', coupon({ redeemed: true }), 2100.5, 'acct-1', 'INVALID'],
  ])('%s -> %s', (_name, c, order, accountId, expected) => {
    expect(outcome(c, order, before, accountId)).toBe(expected);
  });
});

describe('order amounts: integer won, 0..100,000,000', () => {
  it.each([
    [0, true],
    [1, true],
    [100_000_000, true],
    [100_000_001, false],
    [-1, false],
    [-0.5, false],
    [2100.5, false],
    [Number.MAX_SAFE_INTEGER + 2, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
  ])('%d valid=%s', (amount, valid) => {
    expect(isValidOrderAmount(amount)).toBe(valid);
    if (!valid) expect(outcome(coupon(), amount)).toBe('INVALID');
  });

  it('honours a configured maximum', () => {
    expect(
      decideRedemption(coupon(), { accountId: 'acct-1', orderAmountWon: 10_001 }, before, { maxOrderAmountWon: 10_000 }),
    ).toMatchObject({
      status: 'REJECTED',
      reason: 'INVALID',
    });
  });
});

describe('the instant an event-borne request is judged at', () => {
  const produced = new Date('2023-01-10T12:00:00Z');
  const now = new Date('2023-01-12T00:00:00Z');
  const tol = 300_000;
  it.each<[string, string, string]>([
    ['asked before it was produced (normal)', '2023-01-10T11:59:59Z', '2023-01-10T11:59:59.000Z'],
    ['asked within the skew tolerance after', '2023-01-10T12:05:00Z', '2023-01-10T12:05:00.000Z'],
    ['asked beyond the tolerance after: forged', '2023-01-10T12:05:00.001Z', 'INVALID'],
  ])('%s', (_name, requestedAt, expected) => {
    const r = redemptionInstant(new Date(requestedAt), produced, now, tol);
    expect(r.ok ? r.asOf.toISOString() : r.reason).toBe(expected);
  });

  it('never judges later than now', () => {
    const r = redemptionInstant(new Date('2023-01-12T00:01:00Z'), new Date('2023-01-12T00:00:30Z'), now, tol);
    expect(r.ok && r.asOf.toISOString()).toBe(now.toISOString());
  });
});
