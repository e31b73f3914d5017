import { createHash } from 'node:crypto';

/**
 * A coupon's id is a function of its natural key (the claim and its position in the campaign's
 * coupon list), so the same decision delivered twice can only ever name the same coupons.
 */
export function couponIdFor(claimId: string, index: number): string {
  return `cpn_${createHash('sha256').update(claimId).update('\u0000').update(String(index)).digest('hex').slice(0, 32)}`;
}
