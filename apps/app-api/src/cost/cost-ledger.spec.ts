import { CampaignRewards } from '@platform/contracts';
import { CostFlow, costLedger } from './cost-ledger';

const rewards: CampaignRewards = {
  emoticons: [
    { emoticonId: 'choonsik-friends-2', name: 'Choonsik', validityDays: null, valueWon: 2500 },
    { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90, valueWon: 2500 },
  ],
  coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
  pass: {
    cap: 10,
    delayNoticeAfterSeconds: 259200,
    registrationWindowSeconds: 2592000,
    validitySeconds: 2592000,
    storageGb: 100,
    valueWon: 1900,
  },
};

const f = (measure: CostFlow['measure'], item: string, day: string, count: number, faceValueWon = 0): CostFlow => ({
  measure,
  item,
  day,
  count,
  faceValueWon,
});

describe('cost ledger', () => {
  it('costs packs when granted, passes when sent and coupons when redeemed, per item and per day, against the budget', () => {
    const l = costLedger(
      [
        f('EMOTICON_GRANTED', 'choonsik-friends-2', '2023-01-05', 2),
        f('EMOTICON_GRANTED', 'broken-bear', '2023-01-05', 2),
        f('EMOTICON_GRANTED', 'choonsik-friends-2', '2023-01-06', 1),
        f('PASS_SENT', 'pass', '2023-01-06', 1),
        f('PASS_RESERVED_UNSENT', 'pass', '2023-01-06', 2),
        f('COUPON_ISSUED', '2000', '2023-01-05', 2, 4000),
        f('COUPON_ISSUED', '3000', '2023-01-05', 2, 6000),
        f('COUPON_REDEEMED', '2000', '2023-01-07', 1, 2000),
        f('COUPON_EXPIRED', '3000', '2023-02-04', 1, 3000),
        f('COUPON_OUTSTANDING', '2000', '2023-01-05', 1, 2000),
        f('COUPON_OUTSTANDING', '3000', '2023-01-05', 1, 3000),
      ],
      rewards,
      100_000,
    );
    expect(l).toMatchObject({
      grantedWon: 5 * 2500 + 1900,
      redeemedWon: 2000,
      costWon: 16_400,
      budgetWon: 100_000,
      remainingWon: 83_600,
      shareUsed: 0.164,
      committedWon: 3800,
      exposureWon: 5000,
      notCosted: [],
    });
    expect(l.items.map((i) => [i.item, i.spent.count, i.spent.won])).toEqual([
      ['broken-bear', 2, 5000],
      ['choonsik-friends-2', 3, 7500],
      ['coupon-2000', 1, 2000],
      ['coupon-3000', 0, 0],
      ['pass', 1, 1900],
    ]);
    expect(l.items.find((i) => i.item === 'coupon-3000')?.exposure).toEqual({
      issued: { count: 2, won: 6000 },
      expired: { count: 1, won: 3000 },
      outstanding: { count: 1, won: 3000 },
    });
    expect(l.days.map((d) => [d.day, d.grantedWon, d.redeemedWon, d.cumulativeCostWon, d.couponsIssuedWon])).toEqual([
      ['2023-01-05', 10_000, 0, 10_000, 10_000],
      ['2023-01-06', 4400, 0, 14_400, 0],
      ['2023-01-07', 0, 2000, 16_400, 0],
    ]);
    expect(l.days[1]?.items).toEqual([
      { kind: 'EMOTICON', item: 'choonsik-friends-2', count: 1, won: 2500 },
      { kind: 'PASS', item: 'pass', count: 1, won: 1900 },
    ]);
  });

  it('lists every rewarded item at zero before anything happened, and counts items without a unit value as not costed', () => {
    const empty = costLedger([], rewards, 0);
    expect(empty.items).toHaveLength(5);
    expect(empty).toMatchObject({ costWon: 0, remainingWon: 0, shareUsed: null, days: [] });
    const unvalued = costLedger([f('EMOTICON_GRANTED', 'mystery', '2023-01-05', 4), f('PASS_SENT', 'pass', '2023-01-05', 1)], null, null);
    expect(unvalued).toMatchObject({ costWon: 0, budgetWon: null, remainingWon: null, shareUsed: null });
    expect(unvalued.notCosted).toEqual(['EMOTICON:mystery', 'PASS:pass']);
    expect(unvalued.items.map((i) => [i.item, i.spent.count, i.unitValueWon])).toEqual([
      ['mystery', 4, null],
      ['pass', 1, null],
    ]);
  });
});
