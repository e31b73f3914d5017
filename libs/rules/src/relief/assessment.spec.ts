import { campaignDefinition, ReliefAssessmentModel } from '@platform/contracts';
import { applyBasisPoints, assessDamageReport, DamageReport, KAKAO_2023_ASSESSMENT, outageCentiHours } from './index';

const tiers = [
  { tier: 'T30K' as const, maxLossWon: 300_000, amountWon: 30_000 },
  { tier: 'T50K' as const, maxLossWon: 500_000, amountWon: 50_000 },
];

// Factors that multiply to exactly 1/10, so boundary losses are easy to aim at.
const tenth: ReliefAssessmentModel = {
  version: 'test-tenth-v1',
  categories: [{ category: 'shop', operatingMarginBp: 2_000 }],
  services: [
    { service: 'svc', kakaoShareBp: 5_000, substitute: 'NONE' },
    { service: 'svc-partial', kakaoShareBp: 5_000, substitute: 'PARTIAL' },
  ],
  substituteFactorsBp: { NONE: 10_000, PARTIAL: 5_000, AVAILABLE: 2_000 },
  maxOutageHours: 120,
  maxDailyRevenueWon: 10_000_000,
};
const withModel = (assessment: ReliefAssessmentModel = tenth) => ({ relief: { tiers, assessment } });
const lost = (revenueLostWon: unknown, more: Record<string, unknown> = {}): DamageReport => ({
  facts: { service: 'svc', category: 'shop', revenueLostWon, ...more } as DamageReport['facts'],
});
const daily = (usualDailyRevenueWon: unknown, outageHours: unknown): DamageReport => ({
  facts: { service: 'svc', category: 'shop', usualDailyRevenueWon, outageHours } as DamageReport['facts'],
});

const verdict = (r: DamageReport, ...campaign: [Parameters<typeof assessDamageReport>[1]] | []): string => {
  const v = assessDamageReport(r, campaign.length === 0 ? withModel() : campaign[0]);
  return v.ok ? `${v.tier}:${v.amountWon}:${v.assessedLossWon}` : v.reason;
};

describe('assessed loss from raw facts, at every tier boundary (floored at every step)', () => {
  it.each([
    // revenue lost -> x 20 % -> x 100 % (no substitute) -> x 50 % share
    [0, 'T30K:30000:0'],
    [9, 'T30K:30000:0'], // 1.8 -> 1 -> 1 -> 0.5 -> 0
    [3_000_000, 'T30K:30000:300000'],
    [3_000_009, 'T30K:30000:300000'], // 600,001.8 -> 600,001 -> 300,000.5 -> 300,000: floors keep it in T30K
    [3_000_010, 'T50K:50000:300001'],
    [5_000_000, 'T50K:50000:500000'],
    [5_000_009, 'T50K:50000:500000'],
    [5_000_010, 'REVIEW:0:500001'],
    [50_000_000, 'REVIEW:0:5000000'],
  ])('revenue lost %p won -> %s', (revenue, expected) => {
    expect(verdict(lost(revenue))).toBe(expected);
  });

  it.each([
    // usual daily revenue x outage hours / 24, then the same factors
    [1_200_000, 60, 'T30K:30000:300000'], // 3,000,000 gross
    [1_200_000, 60.01, 'T50K:50000:300050'], // 3,000,500 gross
    [2_000_000, 60, 'T50K:50000:500000'],
    [2_000_000, 60.01, 'REVIEW:0:500083'], // 5,000,833 -> 1,000,166 -> 500,083
    [2_400_000, 0.25, 'T30K:30000:2500'], // a quarter of an hour: 25,000 gross
    [10_000_000, 120, 'REVIEW:0:5000000'], // both at their bounds
    [1_000_000, 0, 'T30K:30000:0'],
  ])('daily %p won for %p h -> %s', (d, h, expected) => {
    expect(verdict(daily(d, h))).toBe(expected);
  });

  it('explains every step: inputs, basis, each factor with its running amount, tiers, tier', () => {
    const v = assessDamageReport(
      { facts: { service: 'svc-partial', category: 'shop', usualDailyRevenueWon: 1_000_001, outageHours: 10.5 } },
      withModel(),
    );
    expect(v).toEqual({
      ok: true,
      tier: 'T30K',
      amountWon: 30_000,
      assessedLossWon: 21_875,
      explanation: {
        method: 'MODEL',
        modelVersion: 'test-tenth-v1',
        inputs: {
          assessedLossWon: null,
          service: 'svc-partial',
          category: 'shop',
          revenueLostWon: null,
          usualDailyRevenueWon: 1_000_001,
          outageHours: 10.5,
        },
        basis: 'DAILY_REVENUE_X_OUTAGE_HOURS',
        grossLossWon: 437_500, // 1,000,001 x 1050 / 2400 = 437,500.4375
        factors: [
          { factor: 'OPERATING_MARGIN', key: 'shop', bp: 2_000, resultWon: 87_500 },
          { factor: 'SUBSTITUTE', key: 'svc-partial:PARTIAL', bp: 5_000, resultWon: 43_750 },
          { factor: 'KAKAO_SHARE', key: 'svc-partial', bp: 5_000, resultWon: 21_875 },
        ],
        rounding: expect.stringMatching(/floored/),
        assessedLossWon: 21_875,
        tiers,
        tier: 'T30K',
        amountWon: 30_000,
      },
    });
  });
});

describe('bad facts get a reason, never a crash', () => {
  it.each<[string, DamageReport, string]>([
    ['no facts, no assessment', {}, 'INVALID_AMOUNT'],
    ['facts null', { facts: null }, 'INVALID_AMOUNT'],
    ['service missing', { facts: { category: 'shop', revenueLostWon: 1 } }, 'MISSING_FACTS'],
    ['category missing', { facts: { service: 'svc', revenueLostWon: 1 } }, 'MISSING_FACTS'],
    ['no figures', { facts: { service: 'svc', category: 'shop' } }, 'MISSING_FACTS'],
    ['daily revenue without hours', daily(1_000, null), 'MISSING_FACTS'],
    ['hours without daily revenue', daily(undefined, 5), 'MISSING_FACTS'],
    ['unknown service', { facts: { service: 'kakao-bank', category: 'shop', revenueLostWon: 1 } }, 'UNKNOWN_SERVICE'],
    ['unknown category', { facts: { service: 'svc', category: 'casino', revenueLostWon: 1 } }, 'UNKNOWN_CATEGORY'],
    ['negative revenue lost', lost(-1), 'INVALID_FACTS'],
    ['fractional revenue lost', lost(10.5), 'INVALID_FACTS'],
    ['unsafe revenue lost', lost(2 ** 53), 'INVALID_FACTS'],
    ['negative daily revenue', daily(-5, 10), 'INVALID_FACTS'],
    ['negative hours', daily(1_000, -1), 'INVALID_FACTS'],
    ['hours finer than hundredths', daily(1_000, 1.005), 'INVALID_FACTS'],
    ['infinite hours', daily(1_000, Number.POSITIVE_INFINITY), 'INVALID_FACTS'],
    ['revenue lost above a bounded outage', lost(50_000_001), 'IMPLAUSIBLE_FACTS'], // 10,000,000 a day x 120 h / 24
    ['daily revenue above the bound', daily(10_000_001, 1), 'IMPLAUSIBLE_FACTS'],
    ['outage longer than the outage', daily(1_000, 120.01), 'IMPLAUSIBLE_FACTS'],
    ['absurd figures', lost(1e300), 'INVALID_FACTS'],
  ])('%s -> %s', (_what, report, expected) => {
    expect(verdict(report)).toBe(expected);
  });

  it('accepts the bounds themselves', () => {
    expect(verdict(lost(50_000_000))).toBe('REVIEW:0:5000000');
    expect(verdict(daily(10_000_000, 120))).toBe('REVIEW:0:5000000');
  });

  it('rejects facts for a campaign without an assessment model, and keeps the campaign reasons first', () => {
    expect(verdict(lost(1), { relief: { tiers } })).toBe('NO_ASSESSMENT_MODEL');
    expect(verdict(lost(1), { relief: null })).toBe('NO_RELIEF');
    expect(verdict(lost(1), undefined)).toBe('UNKNOWN_CAMPAIGN');
  });

  it('explains a rejection: what was reported, the reason and which figure', () => {
    const v = assessDamageReport(daily(1_000, 500), withModel());
    expect(v).toMatchObject({
      ok: false,
      reason: 'IMPLAUSIBLE_FACTS',
      explanation: {
        method: 'MODEL',
        modelVersion: 'test-tenth-v1',
        inputs: { usualDailyRevenueWon: 1_000, outageHours: 500 },
        reason: 'IMPLAUSIBLE_FACTS',
        detail: expect.stringContaining('outageHours'),
        assessedLossWon: null,
        tier: null,
        amountWon: 0,
      },
    });
  });
});

describe('an upstream assessment keeps working as before', () => {
  it.each([
    [300_000, 'T30K:30000:300000'],
    [300_001, 'T50K:50000:300001'],
    [500_000, 'T50K:50000:500000'],
    [500_001, 'REVIEW:0:500001'],
    [-1, 'INVALID_AMOUNT'],
  ])('assessedLossWon %p -> %s (with or without a model)', (loss, expected) => {
    expect(verdict({ assessedLossWon: loss })).toBe(expected);
    expect(verdict({ assessedLossWon: loss }, { relief: { tiers } })).toBe(expected);
  });

  it('uses the upstream figure when a report has both, recording the facts', () => {
    const v = assessDamageReport({ assessedLossWon: 400_000, facts: { service: 'svc', category: 'shop', revenueLostWon: 1 } }, withModel());
    expect(v).toMatchObject({
      ok: true,
      tier: 'T50K',
      assessedLossWon: 400_000,
      explanation: { method: 'UPSTREAM', modelVersion: null, factors: [], inputs: { assessedLossWon: 400_000, revenueLostWon: 1 } },
    });
  });
});

describe('the 2023 default tables (assumptions, apps/merchant-relief/README.md)', () => {
  const kakao = withModel(KAKAO_2023_ASSESSMENT);
  it.each<[string, string, Record<string, number>, string]>([
    // 1,000,000 x 12 % = 120,000 x 60 % (partial substitute) = 72,000 x 90 % share = 64,800
    ['restaurant', 'kakaotalk-channel', { revenueLostWon: 1_000_000 }, 'T30K:30000:64800'],
    // 200,000 a day x 120 h = 1,000,000 x 30 % x 60 % x 90 % = 162,000
    ['taxi', 'kakao-t', { usualDailyRevenueWon: 200_000, outageHours: 120 }, 'T30K:30000:162000'],
    // 10,000,000 x 12 % x 60 % x 90 % = 648,000
    ['restaurant', 'kakaotalk-channel', { revenueLostWon: 10_000_000 }, 'REVIEW:0:648000'],
    // 5,000,000 x 30 % x 60 % x 90 % = 810,000 ... taxi drivers hit hardest
    ['taxi', 'kakao-t', { revenueLostWon: 5_000_000 }, 'REVIEW:0:810000'],
    // 3,000,000 x 30 % x 60 % x 90 % = 486,000
    ['taxi', 'kakao-t', { revenueLostWon: 3_000_000 }, 'T50K:50000:486000'],
    // 10,000,000 x 8 % x 30 % (substitute available) x 30 % = 72,000
    ['retail', 'kakaopay', { revenueLostWon: 10_000_000 }, 'T30K:30000:72000'],
  ])('%s on %s %j -> %s', (category, service, figures, expected) => {
    expect(verdict({ facts: { service, category, ...figures } }, kakao)).toBe(expected);
  });

  it('is a valid campaign assessment model', () => {
    const def = {
      campaignId: 'c',
      name: 'c',
      opensAt: '2023-01-05T00:00:00+09:00',
      closesAt: '2023-01-21T00:00:00+09:00',
      rewards: { emoticons: [], coupons: null, pass: null },
      relief: { tiers, assessment: KAKAO_2023_ASSESSMENT },
    };
    expect(campaignDefinition.safeParse(def).success).toBe(true);
    const dup = {
      ...def,
      relief: {
        tiers,
        assessment: { ...KAKAO_2023_ASSESSMENT, services: [...KAKAO_2023_ASSESSMENT.services, KAKAO_2023_ASSESSMENT.services[0]] },
      },
    };
    expect(campaignDefinition.safeParse(dup).success).toBe(false);
  });
});

describe('arithmetic helpers', () => {
  it.each([
    [0, 10_000, 0],
    [1, 9_999, 0],
    [3, 3_333, 0], // 0.9999 -> 0
    [10_000, 1, 1],
    [Number.MAX_SAFE_INTEGER, 10_000, Number.MAX_SAFE_INTEGER],
    [Number.MAX_SAFE_INTEGER, 5_000, Math.floor(Number.MAX_SAFE_INTEGER / 2)],
  ])('floor(%p x %p bp) = %p', (won, bp, expected) => {
    expect(applyBasisPoints(won, bp)).toBe(expected);
  });

  it.each([
    [0, 0],
    [10, 1_000],
    [10.25, 1_025],
    [0.01, 1],
    [60.01, 6_001],
    [1.005, null],
    [-0.01, null],
    [Number.NaN, null],
    [null, null],
  ])('outage %p h -> %p hundredths', (h, expected) => {
    expect(outageCentiHours(h)).toBe(expected);
  });
});
