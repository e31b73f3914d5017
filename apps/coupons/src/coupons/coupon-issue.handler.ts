import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitReason } from '@platform/contracts';
import { Batch, Inbound, OnBatch, TxContext } from '@platform/messaging';
import { couponsForClaim, reminderDueAt } from '@platform/rules';
import { COUPONS_CONFIG } from '../tokens';
import type { CouponsConfig } from '../config';
import { CampaignRewardRepository } from './campaign-reward.repository';
import { couponIdFor } from './coupon-id';
import { CouponRepository, NewCoupon } from './coupon.repository';

type Decided = Inbound<'claimDecided'>;

/**
 * R6 / I3: issues the campaign's coupons for every ACCEPTED claim of a Makers member (or of anyone
 * when the campaign's coupons are not members-only), exactly once per claim: coupon ids derive from
 * (claimId, index), the insert keeps the first writer, and only inserted coupons are announced.
 *
 * The campaign's coupon terms come with the decision (`rewards`); a decision without them falls back
 * on the campaign's definition (compensation.campaign.defined.v1), waiting for it up to
 * COUPON_REWARDS_WAIT_MS before the decision is parked in the DLQ with the reason.
 */
@Controller()
export class CouponIssueHandler {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly campaigns: CampaignRewardRepository,
    @Inject(COUPONS_CONFIG) private readonly config: CouponsConfig,
  ) {}

  @OnBatch('claimDecided')
  async onDecided(@Payload() messages: Batch<'claimDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const missing = messages.filter((m) => m.value.status === 'ACCEPTED' && !m.value.rewards).map((m) => m.value.campaignId);
    const defined = await this.campaigns.find(ctx.manager, [...new Set(missing)]);
    const toInsert = new Map<string, { coupon: NewCoupon; cause: Decided }>();
    for (const m of messages) {
      const v = m.value;
      const coupons = v.rewards ? v.rewards.coupons : defined.get(v.campaignId);
      const verdict = couponsForClaim({ status: v.status, makersMember: v.makersMember, coupons }, ctx.now);
      switch (verdict.kind) {
        case 'NONE':
          break;
        case 'UNDECIDABLE':
          // Neither the decision nor a known definition says which coupons: wait for the
          // definition, then park with the reason (replayable), never guess.
          ctx.retryLater(
            m,
            waitReason(
              'UNKNOWN_REWARDS',
              `claim ${v.claimId} is ACCEPTED without rewards and campaign ${v.campaignId} is not defined here`,
            ),
            this.config.COUPON_REWARDS_WAIT_MS,
          );
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
                // fixed at issue from the terms the coupon was issued under (issue 19)
                remindAt: reminderDueAt(c.expiresAt, coupons?.remindBeforeExpirySeconds),
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
