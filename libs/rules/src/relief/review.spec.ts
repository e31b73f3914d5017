import { applyReviewDecision, judgeReviewAmount, ReviewCase } from './index';

const at = (iso: string): Date => new Date(iso);
const pending = (campaignId = 'c1', referredAt = '2023-01-10T00:00:00Z'): ReviewCase => ({
  campaignId,
  state: 'PENDING',
  tierAmountWon: 0,
  additionalAmountWon: 0,
  referredAt: at(referredAt),
});

describe('committee amounts', () => {
  it.each([
    [true, 1, 1],
    [true, 700_000, 700_000],
    [true, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    [true, 0, null], // approving nothing is a contradiction
    [true, null, null],
    [true, undefined, null],
    [true, -1, null],
    [true, 10.5, null],
    [true, 2 ** 53, null],
    [false, null, 0],
    [false, undefined, 0],
    [false, 0, 0],
    [false, 1, null], // declining with money is a contradiction
    [false, -1, null],
    [false, 0.5, null],
  ])('approved=%p amount=%p -> %p', (approved, additionalAmountWon, expected) => {
    expect(judgeReviewAmount({ approved, additionalAmountWon })).toBe(expected);
  });
});

describe('applying committee decisions', () => {
  it('approves the pending case with the additional amount', () => {
    const r = applyReviewDecision([pending()], { approved: true, additionalAmountWon: 200_000 }, false);
    expect(r.outcome).toEqual({ kind: 'APPLIED', status: 'APPROVED', campaignId: 'c1', additionalAmountWon: 200_000, totalAmountWon: 200_000 });
    expect(r.cases).toEqual([{ ...pending(), state: 'APPROVED', additionalAmountWon: 200_000 }]);
  });

  it('declines the pending case with nothing added', () => {
    const r = applyReviewDecision([pending()], { approved: false, additionalAmountWon: null }, false);
    expect(r.outcome).toEqual({ kind: 'APPLIED', status: 'DECLINED', campaignId: 'c1', additionalAmountWon: 0, totalAmountWon: 0 });
  });

  it('counts what the tier paid in the total', () => {
    const r = applyReviewDecision([{ ...pending(), tierAmountWon: 50_000 }], { approved: true, additionalAmountWon: 10_000 }, false);
    expect(r.outcome).toMatchObject({ kind: 'APPLIED', totalAmountWon: 60_000 });
  });

  it('decides a case once: a second decision is ALREADY_DECIDED and changes nothing', () => {
    const first = applyReviewDecision([pending()], { approved: true, additionalAmountWon: 100 }, false);
    const second = applyReviewDecision(first.cases, { approved: false, additionalAmountWon: null }, true);
    expect(second.outcome).toEqual({ kind: 'REJECTED', reason: 'ALREADY_DECIDED', campaignId: 'c1', totalAmountWon: 100 });
    expect(second.cases).toBe(first.cases);
  });

  it('rejects a bad amount at once, leaving the case pending for a corrected decision', () => {
    const bad = applyReviewDecision([pending()], { approved: true, additionalAmountWon: -5 }, false);
    expect(bad.outcome).toEqual({ kind: 'REJECTED', reason: 'INVALID_AMOUNT', campaignId: 'c1', totalAmountWon: 0 });
    const fixed = applyReviewDecision(bad.cases, { approved: true, additionalAmountWon: 5 }, false);
    expect(fixed.outcome).toMatchObject({ kind: 'APPLIED', status: 'APPROVED', additionalAmountWon: 5 });
  });

  it('rejects a bad amount even for a merchant it does not know (no waiting needed)', () => {
    expect(applyReviewDecision([], { approved: true, additionalAmountWon: 1.5 }, false).outcome).toEqual({
      kind: 'REJECTED',
      reason: 'INVALID_AMOUNT',
      campaignId: null,
      totalAmountWon: 0,
    });
  });

  it('waits for a merchant not (yet) in review, then says NOT_IN_REVIEW', () => {
    const req = { approved: true, additionalAmountWon: 1 };
    expect(applyReviewDecision([], req, false).outcome).toEqual({ kind: 'WAIT' });
    expect(applyReviewDecision([], req, true).outcome).toEqual({ kind: 'REJECTED', reason: 'NOT_IN_REVIEW', campaignId: null, totalAmountWon: 0 });
  });

  it('decides the oldest pending case first when a merchant is in review in two campaigns', () => {
    const cases = [pending('newer', '2023-02-01T00:00:00Z'), pending('older', '2023-01-01T00:00:00Z')];
    const a = applyReviewDecision(cases, { approved: true, additionalAmountWon: 1 }, false);
    expect(a.outcome).toMatchObject({ campaignId: 'older' });
    const b = applyReviewDecision(a.cases, { approved: false, additionalAmountWon: 0 }, false);
    expect(b.outcome).toMatchObject({ kind: 'APPLIED', status: 'DECLINED', campaignId: 'newer' });
    const c = applyReviewDecision(b.cases, { approved: true, additionalAmountWon: 1 }, false);
    expect(c.outcome).toMatchObject({ kind: 'REJECTED', reason: 'ALREADY_DECIDED', campaignId: 'newer' });
  });
});
