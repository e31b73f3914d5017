import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayloadOf } from '@platform/contracts';
import { InboundMessage, OnBatch, TxContext } from '@platform/messaging';
import { couponsForClaim } from '@platform/rules';
import { couponIdFor } from './coupon-id';
import { CouponRepository, NewCoupon } from './coupon.repository';

type Decided = InboundMessage<PayloadOf<'claimDecided'>>;

/**
 * R6 / I3: issues the campaign's coupons for every ACCEPTED claim of a Makers member (or of anyone
 * when the campaign's coupons are not members-only), exactly once per claim: coupon ids derive from
 * (claimId, index), the insert keeps the first writer, and only inserted coupons are announced.
 */
@Controller()
export class CouponIssuer {
  constructor(private readonly coupons: CouponRepository) {}

  @OnBatch('claimDecided')
  async onDecided(@Payload() messages: Decided[], @Ctx() ctx: TxContext): Promise<void> {
    const toInsert = new Map<string, { coupon: NewCoupon; cause: Decided }>();
    for (const m of messages) {
      const v = m.value;
      const verdict = couponsForClaim({ status: v.status, makersMember: v.makersMember, coupons: v.rewards && v.rewards.coupons }, ctx.now);
      switch (verdict.kind) {
        case 'NONE':
          break;
        case 'UNDECIDABLE':
          // An accepted claim without its campaign's rewards: nothing to go by. Parked with the
          // reason (replayable once the producer is fixed), never guessed.
          ctx.reject(m, `ACCEPTED_WITHOUT_REWARDS: claim ${v.claimId} is ACCEPTED but carries no rewards`);
          break;
        case 'ISSUE':
          for (const c of verdict.coupons) {
            const couponId = couponIdFor(v.claimId, c.index);
            if (toInsert.has(couponId)) continue; // the same decision twice in one chunk
            toInsert.set(couponId, {
              cause: m,
              coupon: {
                couponId,
                claimId: v.claimId,
                claimEventId: v.eventId,
                campaignId: v.campaignId,
                accountId: v.accountId,
                index: c.index,
                amountWon: c.amountWon,
                minPaidWon: c.minPaidWon,
                issuedAt: c.issuedAt,
                expiresAt: c.expiresAt,
              },
            });
          }
          break;
      }
    }
    if (toInsert.size === 0) return;
    const inserted = await this.coupons.insertNew(
      ctx.manager,
      [...toInsert.values()].map((x) => x.coupon),
    );
    for (const { coupon: c, cause } of toInsert.values()) {
      if (!inserted.has(c.couponId)) continue; // issued before: announced then, not again
      ctx.emit(
        'couponIssued',
        {
          couponId: c.couponId,
          accountId: c.accountId,
          claimId: c.claimId,
          eventId: c.claimEventId,
          campaignId: c.campaignId,
          amountWon: c.amountWon,
          issuedAt: c.issuedAt.toISOString(),
          expiresAt: c.expiresAt.toISOString(),
        },
        cause,
      );
    }
  }
}
