import { CouponReward } from '@platform/contracts';
import { couponExpiresAt, couponsForClaim, DecidedClaimFacts } from './index';

const reward: CouponReward = { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 };
const at = new Date('2023-01-10T12:00:00+09:00');
const claim = (over: Partial<DecidedClaimFacts> = {}): DecidedClaimFacts => ({
  status: 'ACCEPTED',
  makersMember: true,
  coupons: reward,
  ...over,
});

describe('coupon issuance (R6, I3)', () => {
  it('issues the campaign coupons to an accepted Makers member, expiring validityDays later', () => {
    expect(couponsForClaim(claim(), at)).toEqual({
      kind: 'ISSUE',
      coupons: [
        { index: 0, amountWon: 2000, minPaidWon: 100, issuedAt: at, expiresAt: new Date('2023-02-09T12:00:00+09:00') },
        { index: 1, amountWon: 3000, minPaidWon: 100, issuedAt: at, expiresAt: new Date('2023-02-09T12:00:00+09:00') },
      ],
    });
  });

  it.each<[string, Partial<DecidedClaimFacts>, string]>([
    ['rejected claim', { status: 'REJECTED' }, 'NONE:NOT_ACCEPTED'],
    ['rejected claim without rewards', { status: 'REJECTED', coupons: undefined }, 'NONE:NOT_ACCEPTED'],
    ['non-member, members only', { makersMember: false }, 'NONE:NOT_A_MEMBER'],
    ['non-member, open to all', { makersMember: false, coupons: { ...reward, membersOnly: false } }, 'ISSUE:2'],
    ['member, open to all', { coupons: { ...reward, membersOnly: false } }, 'ISSUE:2'],
    ['campaign without coupons', { coupons: null }, 'NONE:NO_COUPONS_IN_CAMPAIGN'],
    ['campaign with an empty coupon list', { coupons: { ...reward, amountsWon: [] } }, 'NONE:NO_COUPONS_IN_CAMPAIGN'],
    ['three coupons, two of the same amount', { coupons: { ...reward, amountsWon: [1000, 1000, 500] } }, 'ISSUE:3'],
    ['accepted without rewards', { coupons: undefined }, 'UNDECIDABLE:NO_REWARDS'],
  ])('%s', (_name, over, expected) => {
    const v = couponsForClaim(claim(over), at);
    expect(v.kind === 'ISSUE' ? `ISSUE:${v.coupons.length}` : `${v.kind}:${v.why}`).toBe(expected);
  });

  it.each([
    [1, '2023-01-11T03:00:00.000Z'],
    [30, '2023-02-09T03:00:00.000Z'],
    [365, '2024-01-10T03:00:00.000Z'],
  ])('%i days after 2023-01-10T12:00+09:00 is %s (24 h days, no calendar games)', (days, iso) => {
    expect(couponExpiresAt(at, days).toISOString()).toBe(iso);
  });
});
