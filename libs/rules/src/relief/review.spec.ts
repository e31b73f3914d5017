import { applyReviewDecision, judgeReviewAmount, judgeReviewEvidence, ReviewCase } from './index';

const at = (iso: string): Date => new Date(iso);
const pending = (campaignId = 'c1', referredAt = '2023-01-10T00:00:00Z'): ReviewCase => ({
  campaignId,
  state: 'PENDING',
  tierAmountWon: 0,
  additionalAmountWon: 0,
  referredAt: at(referredAt),
  evidenceIds: ['doc-1'],
});
const proof = { evidenceIds: ['doc-1'] };

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
    const r = applyReviewDecision([pending()], { approved: true, additionalAmountWon: 200_000, ...proof }, false);
    expect(r.outcome).toEqual({
      kind: 'APPLIED',
      status: 'APPROVED',
      campaignId: 'c1',
      additionalAmountWon: 200_000,
      totalAmountWon: 200_000,
      evidenceIds: ['doc-1'],
    });
    expect(r.cases).toEqual([{ ...pending(), state: 'APPROVED', additionalAmountWon: 200_000 }]);
  });

  it('declines the pending case with nothing added', () => {
    const r = applyReviewDecision([pending()], { approved: false, additionalAmountWon: null }, false);
    expect(r.outcome).toEqual({
      kind: 'APPLIED',
      status: 'DECLINED',
      campaignId: 'c1',
      additionalAmountWon: 0,
      totalAmountWon: 0,
      evidenceIds: [],
    });
  });

  it('counts what the tier paid in the total', () => {
    const r = applyReviewDecision(
      [{ ...pending(), tierAmountWon: 50_000 }],
      { approved: true, additionalAmountWon: 10_000, ...proof },
      false,
    );
    expect(r.outcome).toMatchObject({ kind: 'APPLIED', totalAmountWon: 60_000 });
  });

  it('decides a case once: a second decision is ALREADY_DECIDED and changes nothing', () => {
    const first = applyReviewDecision([pending()], { approved: true, additionalAmountWon: 100, ...proof }, false);
    const second = applyReviewDecision(first.cases, { approved: false, additionalAmountWon: null }, true);
    expect(second.outcome).toEqual({ kind: 'REJECTED', reason: 'ALREADY_DECIDED', campaignId: 'c1', totalAmountWon: 100 });
    expect(second.cases).toBe(first.cases);
  });

  it('rejects a bad amount at once, leaving the case pending for a corrected decision', () => {
    const bad = applyReviewDecision([pending()], { approved: true, additionalAmountWon: -5, ...proof }, false);
    expect(bad.outcome).toEqual({ kind: 'REJECTED', reason: 'INVALID_AMOUNT', campaignId: 'c1', totalAmountWon: 0 });
    const fixed = applyReviewDecision(bad.cases, { approved: true, additionalAmountWon: 5, ...proof }, false);
    expect(fixed.outcome).toMatchObject({ kind: 'APPLIED', status: 'APPROVED', additionalAmountWon: 5 });
  });

  it('rejects a bad amount even for a merchant it does not know (no waiting needed)', () => {
    expect(applyReviewDecision([], { approved: true, additionalAmountWon: 1.5, ...proof }, false).outcome).toEqual({
      kind: 'REJECTED',
      reason: 'INVALID_AMOUNT',
      campaignId: null,
      totalAmountWon: 0,
    });
  });

  it('waits for a merchant not (yet) in review, then says NOT_IN_REVIEW', () => {
    const req = { approved: true, additionalAmountWon: 1, ...proof };
    expect(applyReviewDecision([], req, false).outcome).toEqual({ kind: 'WAIT' });
    expect(applyReviewDecision([], req, true).outcome).toEqual({
      kind: 'REJECTED',
      reason: 'NOT_IN_REVIEW',
      campaignId: null,
      totalAmountWon: 0,
    });
  });

  it('decides the oldest pending case first when a merchant is in review in two campaigns', () => {
    const cases = [pending('newer', '2023-02-01T00:00:00Z'), pending('older', '2023-01-01T00:00:00Z')];
    const a = applyReviewDecision(cases, { approved: true, additionalAmountWon: 1, ...proof }, false);
    expect(a.outcome).toMatchObject({ campaignId: 'older' });
    const b = applyReviewDecision(a.cases, { approved: false, additionalAmountWon: 0 }, false);
    expect(b.outcome).toMatchObject({ kind: 'APPLIED', status: 'DECLINED', campaignId: 'newer' });
    const c = applyReviewDecision(b.cases, { approved: true, additionalAmountWon: 1, ...proof }, false);
    expect(c.outcome).toMatchObject({ kind: 'REJECTED', reason: 'ALREADY_DECIDED', campaignId: 'newer' });
  });
});

describe('proof of damage for committee decisions', () => {
  const noProof = { ...pending(), evidenceIds: [] };
  it.each<[string, string[], boolean, string[] | null | undefined, string]>([
    ['approval naming held evidence', ['a', 'b'], true, ['b'], 'OK:b'],
    ['approval naming all, repeated', ['a', 'b'], true, ['a', 'b', 'a'], 'OK:a,b'],
    ['approval naming nothing', ['a'], true, [], 'EVIDENCE_REQUIRED'],
    ['approval without the field', ['a'], true, undefined, 'EVIDENCE_REQUIRED'],
    ['approval with null', ['a'], true, null, 'EVIDENCE_REQUIRED'],
    ['approval of a case without evidence', [], true, ['a'], 'EVIDENCE_REQUIRED'],
    ['approval naming a document the case lacks', ['a'], true, ['a', 'zzz'], 'UNKNOWN_EVIDENCE'],
    ['refusal without evidence', [], false, undefined, 'OK:'],
    ['refusal naming held evidence', ['a'], false, ['a'], 'OK:a'],
    ['refusal naming a document the case lacks', ['a'], false, ['zzz'], 'UNKNOWN_EVIDENCE'],
  ])('%s -> %s', (_what, held, approved, named, expected) => {
    const v = judgeReviewEvidence({ evidenceIds: held }, { approved, evidenceIds: named });
    expect(v.ok ? `OK:${v.evidenceIds.join(',')}` : v.reason).toBe(expected);
  });

  it('refuses an approval without evidence and keeps the case pending for a decision with proof', () => {
    const bad = applyReviewDecision([noProof], { approved: true, additionalAmountWon: 100_000 }, false);
    expect(bad.outcome).toEqual({ kind: 'REJECTED', reason: 'EVIDENCE_REQUIRED', campaignId: 'c1', totalAmountWon: 0 });
    expect(bad.cases).toEqual([noProof]);
    const withProof = applyReviewDecision(
      [{ ...noProof, evidenceIds: ['doc-9'] }],
      { approved: true, additionalAmountWon: 100_000, evidenceIds: ['doc-9'] },
      false,
    );
    expect(withProof.outcome).toMatchObject({ kind: 'APPLIED', status: 'APPROVED', evidenceIds: ['doc-9'] });
  });

  it('checks the amount before the evidence, and the case before either', () => {
    expect(applyReviewDecision([noProof], { approved: true, additionalAmountWon: -1 }, false).outcome).toMatchObject({
      reason: 'INVALID_AMOUNT',
    });
    expect(applyReviewDecision([], { approved: true, additionalAmountWon: 1 }, false).outcome).toEqual({ kind: 'WAIT' });
    const decided = applyReviewDecision([pending()], { approved: true, additionalAmountWon: 1, ...proof }, false);
    expect(applyReviewDecision(decided.cases, { approved: true, additionalAmountWon: 1 }, false).outcome).toMatchObject({
      reason: 'ALREADY_DECIDED',
    });
  });
});
