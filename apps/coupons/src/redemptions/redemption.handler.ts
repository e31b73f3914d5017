import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { dlqReason } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { redemptionInstant } from '@platform/rules';
import { COUPONS_CONFIG } from '../tokens';
import type { CouponsConfig } from '../config';
import { RedemptionService } from './redemption.service';

/** coupon.redemption.requested.v1 from the shop's checkout: decided in chunks, one transaction each. */
@Controller()
export class RedemptionHandler {
  constructor(
    private readonly redemptions: RedemptionService,
    @Inject(COUPONS_CONFIG) private readonly config: CouponsConfig,
  ) {}

  @OnBatch('couponRedemptionRequested')
  async onRequested(@Payload() messages: Batch<'couponRedemptionRequested'>, @Ctx() ctx: TxContext): Promise<void> {
    const tolerance = this.config.REDEMPTION_SKEW_TOLERANCE_SECONDS * 1000;
    const results = await this.redemptions.decideAll(
      ctx,
      messages.map((m) => {
        const when = redemptionInstant(new Date(m.value.requestedAt), m.timestamp, ctx.now, tolerance);
        return {
          requestId: m.value.eventId,
          source: 'EVENT' as const,
          couponId: m.value.couponId,
          accountId: m.value.accountId,
          orderId: m.value.orderId,
          orderAmountWon: m.value.orderAmountWon,
          asOf: when.ok ? when.asOf : null,
          cause: m,
        };
      }),
    );
    results.forEach((r, i) => {
      const m = messages[i];
      if (!m) return;
      switch (r.kind) {
        case 'DECIDED':
          break; // emitted by the service
        case 'REPLAY':
          // The same request published again: answer it again, with the very same decision.
          ctx.emit('couponRedemptionDecided', r.decision, m);
          break;
        case 'CONFLICT':
          ctx.reject(
            m,
            dlqReason(
              'EVENT_ID_REUSED',
              `eventId ${m.value.eventId} was already decided for a different request ` +
                `(coupon ${r.decision.couponId}, order ${r.decision.orderId}, account ${r.decision.accountId})`,
            ),
          );
          break;
      }
    });
  }
}
