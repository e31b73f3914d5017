import type { CouponReward } from '@platform/contracts';

const DAY_MS = 86_400_000;

/** What the coupon service knows about a decided claim (from compensation.claim.decided.v1). */
export interface DecidedClaimFacts {
  status: 'ACCEPTED' | 'REJECTED';
  makersMember: boolean;
  /** The campaign's coupon reward; null when the campaign offers none, undefined when unknown (no rewards on the event, no definition). */
  coupons: CouponReward | null | undefined;
}

export interface CouponToIssue {
  /** Position in the campaign's `amountsWon`: with the claim id, the coupon's natural key. */
  index: number;
  amountWon: number;
  minPaidWon: number;
  issuedAt: Date;
  expiresAt: Date;
}

export type IssuanceVerdict =
  | { kind: 'ISSUE'; coupons: CouponToIssue[] }
  | { kind: 'NONE'; why: 'NOT_ACCEPTED' | 'NO_COUPONS_IN_CAMPAIGN' | 'NOT_A_MEMBER' }
  /** An ACCEPTED decision whose campaign's coupon terms are unknown: nothing to go by yet. */
  | { kind: 'UNDECIDABLE'; why: 'NO_REWARDS' };

/**
 * Validity is counted in whole days of 24 h from the instant of issue (R6: "valid 30 days from
 * issue"); the coupon is usable while `at < expiresAt` (see isCouponExpired).
 */
export function couponExpiresAt(issuedAt: Date, validityDays: number): Date {
  return new Date(issuedAt.getTime() + validityDays * DAY_MS);
}

/**
 * R6 / I3: an ACCEPTED claim gets the campaign's coupons when the claimant is a Makers member, or
 * anyone when the campaign's coupons are not members-only; nothing otherwise.
 */
export function couponsForClaim(claim: DecidedClaimFacts, issuedAt: Date): IssuanceVerdict {
  if (claim.status !== 'ACCEPTED') return { kind: 'NONE', why: 'NOT_ACCEPTED' };
  if (claim.coupons === undefined) return { kind: 'UNDECIDABLE', why: 'NO_REWARDS' };
  const c = claim.coupons;
  if (c === null || c.amountsWon.length === 0) return { kind: 'NONE', why: 'NO_COUPONS_IN_CAMPAIGN' };
  if (c.membersOnly && !claim.makersMember) return { kind: 'NONE', why: 'NOT_A_MEMBER' };
  const expiresAt = couponExpiresAt(issuedAt, c.validityDays);
  return {
    kind: 'ISSUE',
    coupons: c.amountsWon.map((amountWon, index) => ({ index, amountWon, minPaidWon: c.minPaidWon, issuedAt, expiresAt })),
  };
}
