import { externalId } from '@platform/contracts';
import { couponIdFor } from './coupon-id';

describe('deterministic coupon ids', () => {
  it('is a function of (claimId, index) only', () => {
    expect(couponIdFor('claim-1', 0)).toBe(couponIdFor('claim-1', 0));
    expect(couponIdFor('claim-1', 0)).not.toBe(couponIdFor('claim-1', 1));
    expect(couponIdFor('claim-1', 0)).not.toBe(couponIdFor('claim-2', 0));
    // no ambiguity from concatenation
    expect(couponIdFor('claim-1', 10)).not.toBe(couponIdFor('claim-11', 0));
  });

  it('fits the contract id format even for the longest claim ids', () => {
    const id = couponIdFor('x'.repeat(128), 9);
    expect(id).toMatch(/^cpn_[0-9a-f]{32}$/);
    expect(externalId.safeParse(id).success).toBe(true);
  });
});
