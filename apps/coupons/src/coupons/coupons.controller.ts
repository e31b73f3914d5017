import { Controller, Inject } from '@nestjs/common';
import { AccountId, AccountRead, Clock, CLOCK } from '@platform/messaging';
import { isCouponExpired } from '@platform/rules';
import { CouponRepository, CouponRow } from './coupon.repository';

export type CouponView = 'ACTIVE' | 'REDEEMED' | 'EXPIRED';

const stateOf = (c: CouponRow, now: Date): CouponView =>
  c.redeemedBy !== null ? 'REDEEMED' : c.expiredAt !== null || isCouponExpired(c.expiresAt, now) ? 'EXPIRED' : 'ACTIVE';

@Controller('coupons')
export class CouponsController {
  constructor(
    private readonly coupons: CouponRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** An account's coupons with their state and expiry. */
  @AccountRead()
  async byAccount(@AccountId() accountId: string) {
    const now = this.clock.now();
    const rows = await this.coupons.byAccount(accountId);
    return {
      accountId,
      coupons: rows.map((c) => ({
        couponId: c.couponId,
        campaignId: c.campaignId,
        claimId: c.claimId,
        amountWon: c.amountWon,
        minPaidWon: c.minPaidWon,
        state: stateOf(c, now),
        issuedAt: c.issuedAt.toISOString(),
        expiresAt: c.expiresAt.toISOString(),
        ...(c.redeemedAt ? { redeemedAt: c.redeemedAt.toISOString(), orderId: c.redeemedOrderId } : {}),
      })),
    };
  }
}
