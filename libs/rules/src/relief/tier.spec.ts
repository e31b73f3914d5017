import { decideReliefTier, wholeWon } from './index';

// The 2023 campaign's tiers, as the campaign definition carries them.
const relief2023 = {
  relief: {
    tiers: [
      { tier: 'T30K' as const, maxLossWon: 300_000, amountWon: 30_000 },
      { tier: 'T50K' as const, maxLossWon: 500_000, amountWon: 50_000 },
    ],
  },
};

const verdict = (loss: number | null | undefined, ...campaign: [Parameters<typeof decideReliefTier>[1]] | []): string => {
  const v = decideReliefTier(loss, campaign.length === 0 ? relief2023 : campaign[0]);
  return v.ok ? `${v.tier}:${v.amountWon}` : v.reason;
};

describe('relief tier (R10) at every boundary', () => {
  it.each([
    [0, 'T30K:30000'],
    [1, 'T30K:30000'],
    [299_999, 'T30K:30000'],
    [300_000, 'T30K:30000'],
    [300_001, 'T50K:50000'],
    [499_999, 'T50K:50000'],
    [500_000, 'T50K:50000'],
    [500_001, 'REVIEW:0'],
    [10_000_000_000, 'REVIEW:0'],
    [Number.MAX_SAFE_INTEGER, 'REVIEW:0'],
  ])('loss %p won -> %s', (loss, expected) => {
    expect(verdict(loss)).toBe(expected);
  });

  it.each([
    [-1, 'INVALID_AMOUNT'],
    [-300_000, 'INVALID_AMOUNT'],
    [300_000.5, 'INVALID_AMOUNT'],
    [0.1, 'INVALID_AMOUNT'],
    [Number.MAX_SAFE_INTEGER + 1, 'INVALID_AMOUNT'],
    [1e300, 'INVALID_AMOUNT'],
    [Number.NaN, 'INVALID_AMOUNT'],
    [Number.POSITIVE_INFINITY, 'INVALID_AMOUNT'],
    [null, 'INVALID_AMOUNT'],
    [undefined, 'INVALID_AMOUNT'],
  ])('loss %p -> %s', (loss, expected) => {
    expect(verdict(loss)).toBe(expected);
  });

  it('keeps the assessed loss on the verdict', () => {
    expect(decideReliefTier(300_001, relief2023)).toEqual({ ok: true, tier: 'T50K', amountWon: 50_000, assessedLossWon: 300_001 });
  });

  it('rejects an unknown campaign, and a campaign without relief, whatever the amount', () => {
    expect(verdict(100, undefined)).toBe('UNKNOWN_CAMPAIGN');
    expect(verdict(-1, undefined)).toBe('UNKNOWN_CAMPAIGN');
    expect(verdict(100, { relief: null })).toBe('NO_RELIEF');
    expect(verdict(-1, { relief: null })).toBe('NO_RELIEF');
  });

  it('uses the campaign numbers, not the 2023 ones', () => {
    const other = { relief: { tiers: [{ tier: 'T30K' as const, maxLossWon: 1000, amountWon: 7 }] } };
    expect(verdict(1000, other)).toBe('T30K:7');
    expect(verdict(1001, other)).toBe('REVIEW:0');
  });

  it('does not depend on the order the tiers are listed in', () => {
    const reversed = { relief: { tiers: [...relief2023.relief.tiers].reverse() } };
    expect([0, 300_000, 300_001, 500_000, 500_001].map((l) => verdict(l, reversed))).toEqual([
      'T30K:30000',
      'T30K:30000',
      'T50K:50000',
      'T50K:50000',
      'REVIEW:0',
    ]);
  });

  it('sends every report to review when the campaign has a relief programme without tiers', () => {
    expect(verdict(0, { relief: { tiers: [] } })).toBe('REVIEW:0');
  });
});

describe('wholeWon', () => {
  it.each([
    [0, 0],
    [-0, 0],
    [1, 1],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [-1, null],
    [1.5, null],
    [2 ** 53, null],
    [null, null],
    [undefined, null],
  ])('%p -> %p', (input, expected) => {
    expect(wholeWon(input)).toBe(expected);
  });
});
