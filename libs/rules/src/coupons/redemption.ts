/** Why a redemption is refused (the values of coupon.redemption.decided.v1 `reason`). */
export type RedemptionRejection = 'UNKNOWN_COUPON' | 'NOT_OWNER' | 'ALREADY_USED' | 'EXPIRED' | 'MIN_PAYMENT' | 'INVALID';

/** Default upper bound of a plausible order amount (larger ones are INVALID). */
export const MAX_ORDER_AMOUNT_WON = 100_000_000;

/** The coupon as stored, at the moment of the decision (row locked by the caller). */
export interface CouponState {
  accountId: string;
  amountWon: number;
  minPaidWon: number;
  expiresAt: Date;
  /** Already redeemed by another request. */
  redeemed: boolean;
  /**
   * The expiry sweep already announced coupon.expired.v1 for it. Not final for a request made in
   * time: a backlog never costs the buyer a coupon that was valid when they paid (R1's principle).
   */
  expiryAnnounced: boolean;
}

export interface RedemptionRequestFacts {
  accountId: string;
  /** As received: the contract lets any JSON number through so that we can answer INVALID. */
  orderAmountWon: number;
}

export type RedemptionOutcome =
  | { status: 'REDEEMED'; discountWon: number; paidAmountWon: number }
  | { status: 'REJECTED'; reason: RedemptionRejection; discountWon: 0; paidAmountWon: null };

export interface RedemptionLimits {
  maxOrderAmountWon: number;
}

/** Whole, non-negative and plausible won. */
export function isValidOrderAmount(amount: number, maxOrderAmountWon = MAX_ORDER_AMOUNT_WON): boolean {
  return Number.isSafeInteger(amount) && amount >= 0 && amount <= maxOrderAmountWon;
}

/**
 * A coupon is usable while `at < expiresAt`; at exactly `expiresAt` it is expired (validity is the
 * half-open interval [issuedAt, expiresAt), like the campaign window's exclusive `closesAt`).
 */
export function isCouponExpired(expiresAt: Date, at: Date): boolean {
  return at.getTime() >= expiresAt.getTime();
}

const reject = (reason: RedemptionRejection): RedemptionOutcome => ({ status: 'REJECTED', reason, discountWon: 0, paidAmountWon: null });

/**
 * R6: decides one redemption request. Checks, in order: a plausible amount (INVALID), a known
 * coupon (UNKNOWN_COUPON), the owner (NOT_OWNER, before anything that would reveal the coupon's
 * state to someone else), single use (ALREADY_USED), validity at `asOf` (EXPIRED), and that at
 * least `minPaidWon` is still paid after the discount (MIN_PAYMENT).
 */
export function decideRedemption(
  coupon: CouponState | undefined,
  request: RedemptionRequestFacts,
  asOf: Date,
  limits: RedemptionLimits = { maxOrderAmountWon: MAX_ORDER_AMOUNT_WON },
): RedemptionOutcome {
  if (!isValidOrderAmount(request.orderAmountWon, limits.maxOrderAmountWon)) return reject('INVALID');
  if (!coupon) return reject('UNKNOWN_COUPON');
  if (coupon.accountId !== request.accountId) return reject('NOT_OWNER');
  if (coupon.redeemed) return reject('ALREADY_USED');
  if (isCouponExpired(coupon.expiresAt, asOf)) return reject('EXPIRED');
  const paid = request.orderAmountWon - coupon.amountWon;
  if (paid < coupon.minPaidWon) return reject('MIN_PAYMENT');
  return { status: 'REDEEMED', discountWon: coupon.amountWon, paidAmountWon: paid };
}

/**
 * The instant an event-borne redemption is judged at: when the checkout asked (`requestedAt`), so
 * that a backlog on the platform never costs the buyer a coupon that was valid when they paid, but
 * never later than now. A `requestedAt` later than the message's own timestamp plus the clock-skew
 * tolerance is forged or broken: INVALID (as R1 does for claims).
 */
export function redemptionInstant(
  requestedAt: Date,
  producedAt: Date,
  now: Date,
  skewToleranceMs: number,
): { ok: true; asOf: Date } | { ok: false; reason: 'INVALID' } {
  const t = requestedAt.getTime();
  if (Number.isNaN(t) || t > producedAt.getTime() + skewToleranceMs) return { ok: false, reason: 'INVALID' };
  return { ok: true, asOf: new Date(Math.min(t, now.getTime())) };
}
