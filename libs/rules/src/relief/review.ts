import { wholeWon } from './amount';

export type ReviewState = 'PENDING' | 'APPROVED' | 'DECLINED';
export type ReviewRejection = 'NOT_IN_REVIEW' | 'ALREADY_DECIDED' | 'INVALID_AMOUNT' | 'EVIDENCE_REQUIRED' | 'UNKNOWN_EVIDENCE';

/** A merchant's relief that was referred to the committee (tier REVIEW), in one campaign. */
export interface ReviewCase {
  readonly campaignId: string;
  readonly state: ReviewState;
  /** What the tier paid (0 for REVIEW by default). */
  readonly tierAmountWon: number;
  readonly additionalAmountWon: number;
  /** When the report was decided: the oldest pending case is decided first. */
  readonly referredAt: Date;
  /** The proof of damage attached to the case (document ids). */
  readonly evidenceIds: readonly string[];
}

export interface ReviewRequest {
  readonly approved: boolean;
  readonly additionalAmountWon?: number | null;
  /** The documents the committee relied on. */
  readonly evidenceIds?: readonly string[] | null;
}

export type ReviewOutcome =
  | {
      kind: 'APPLIED';
      status: 'APPROVED' | 'DECLINED';
      campaignId: string;
      additionalAmountWon: number;
      totalAmountWon: number;
      evidenceIds: string[];
    }
  | { kind: 'REJECTED'; reason: ReviewRejection; campaignId: string | null; totalAmountWon: number }
  /** The merchant has no case in review: maybe its report is still on its way (out of order). */
  | { kind: 'WAIT' };

/**
 * The committee's amount must say what it means: an approval carries a whole, positive number of
 * won; a refusal carries none (missing or 0). Anything else is INVALID_AMOUNT, so a clerical error
 * neither pays nor closes the case, and a corrected decision can follow.
 */
export function judgeReviewAmount(req: ReviewRequest): number | null {
  const amount =
    req.additionalAmountWon === null || req.additionalAmountWon === undefined
      ? req.approved
        ? null
        : 0
      : wholeWon(req.additionalAmountWon);
  if (amount === null) return null;
  if (req.approved ? amount === 0 : amount !== 0) return null;
  return amount;
}

/**
 * Which evidence a decision may rely on: an approval must name at least one document of the case
 * (a case without any is EVIDENCE_REQUIRED: proof of damage comes first); any decision naming a
 * document the case does not hold is UNKNOWN_EVIDENCE. Returns the documents relied on (deduped,
 * in the order named) or the reason.
 */
export function judgeReviewEvidence(
  c: Pick<ReviewCase, 'evidenceIds'>,
  req: ReviewRequest,
): { ok: true; evidenceIds: string[] } | { ok: false; reason: 'EVIDENCE_REQUIRED' | 'UNKNOWN_EVIDENCE' } {
  const named = [...new Set(req.evidenceIds ?? [])];
  if (req.approved && (named.length === 0 || c.evidenceIds.length === 0)) return { ok: false, reason: 'EVIDENCE_REQUIRED' };
  const held = new Set(c.evidenceIds);
  if (named.some((id) => !held.has(id))) return { ok: false, reason: 'UNKNOWN_EVIDENCE' };
  return { ok: true, evidenceIds: named };
}

/**
 * Applies one committee decision to a merchant's review cases. Returns the outcome and the cases
 * as they are afterwards, so decisions for one merchant can be applied one after the other.
 * - a bad amount is INVALID_AMOUNT and changes nothing;
 * - the oldest PENDING case is decided (APPROVED with its amount, or DECLINED), if the evidence
 *   named allows it (judgeReviewEvidence); otherwise REJECTED and the case stays pending;
 * - no pending case but a decided one: ALREADY_DECIDED (a case is decided once);
 * - no case at all: WAIT while `waitOver` is false (the report may not be processed yet), then NOT_IN_REVIEW.
 */
export function applyReviewDecision(
  cases: readonly ReviewCase[],
  req: ReviewRequest,
  waitOver: boolean,
): { outcome: ReviewOutcome; cases: readonly ReviewCase[] } {
  const total = (c: ReviewCase): number => c.tierAmountWon + c.additionalAmountWon;
  const byAge = [...cases].sort((a, b) => a.referredAt.getTime() - b.referredAt.getTime() || a.campaignId.localeCompare(b.campaignId));
  const pending = byAge.find((c) => c.state === 'PENDING');
  const amount = judgeReviewAmount(req);
  if (amount === null) {
    const target = pending ?? byAge[byAge.length - 1];
    return {
      outcome: {
        kind: 'REJECTED',
        reason: 'INVALID_AMOUNT',
        campaignId: target?.campaignId ?? null,
        totalAmountWon: target ? total(target) : 0,
      },
      cases,
    };
  }
  if (!pending) {
    const last = byAge[byAge.length - 1];
    if (last)
      return { outcome: { kind: 'REJECTED', reason: 'ALREADY_DECIDED', campaignId: last.campaignId, totalAmountWon: total(last) }, cases };
    if (!waitOver) return { outcome: { kind: 'WAIT' }, cases };
    return { outcome: { kind: 'REJECTED', reason: 'NOT_IN_REVIEW', campaignId: null, totalAmountWon: 0 }, cases };
  }
  const evidence = judgeReviewEvidence(pending, req);
  if (!evidence.ok)
    return {
      outcome: { kind: 'REJECTED', reason: evidence.reason, campaignId: pending.campaignId, totalAmountWon: total(pending) },
      cases,
    };
  const decided: ReviewCase = { ...pending, state: req.approved ? 'APPROVED' : 'DECLINED', additionalAmountWon: amount };
  return {
    outcome: {
      kind: 'APPLIED',
      status: decided.state === 'APPROVED' ? 'APPROVED' : 'DECLINED',
      campaignId: decided.campaignId,
      additionalAmountWon: amount,
      totalAmountWon: total(decided),
      evidenceIds: evidence.evidenceIds,
    },
    cases: cases.map((c) => (c === pending ? decided : c)),
  };
}
