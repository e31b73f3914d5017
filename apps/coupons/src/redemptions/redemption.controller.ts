import { BadRequestException, Body, Controller, Headers, HttpCode, Param, Post, Res, UnprocessableEntityException } from '@nestjs/common';
import type { Response } from 'express';
import { z } from 'zod';
import { NamesAccount, Roles } from '@platform/auth';
import { externalId, formatZodError, wonInput } from '@platform/contracts';
import { RedemptionDecided, RedemptionService } from './redemption.service';

/** The body mirrors coupon.redemption.requested.v1 (the coupon is in the path, the request id in the header). */
const redemptionBody = z.strictObject({ accountId: externalId, orderId: externalId, orderAmountWon: wonInput });

/**
 * The synchronous path for a checkout that cannot wait for a round trip through Kafka. Same rules
 * and same single-use guarantee as the event path (RedemptionService); the decision is also
 * published on coupon.redemption.decided.v1 with eventId = the Idempotency-Key.
 *
 * 200 with the decision (REDEEMED, or REJECTED with a reason, including INVALID amounts); the same
 * key again returns the stored decision (header Idempotent-Replayed: true); the same key with a
 * different body is 422; a missing key or a malformed body is 400.
 *
 * Only the shop backend may call it, for the account it names in the body: a coupon is redeemed
 * only for the account it was issued to (R6, FOREIGN otherwise), so the shop names both. A token
 * bound to one account (`account` claim) may name only that account.
 */
@Controller('coupons')
export class RedemptionController {
  constructor(private readonly redemptions: RedemptionService) {}

  @Post(':couponId/redemptions')
  @HttpCode(200)
  @Roles('shop-backend')
  @NamesAccount({ body: 'accountId' })
  async redeem(
    @Param('couponId') couponId: string,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<RedemptionDecided> {
    if (!externalId.safeParse(couponId).success) throw new BadRequestException({ error: 'INVALID_COUPON_ID' });
    if (key === undefined || !externalId.safeParse(key).success) {
      throw new BadRequestException({
        error: 'INVALID_IDEMPOTENCY_KEY',
        detail: 'header Idempotency-Key: 1-128 printable ASCII characters required',
      });
    }
    const parsed = redemptionBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_BODY', detail: formatZodError(parsed.error) });
    const result = await this.redemptions.decideNow({ requestId: key, source: 'HTTP', couponId, ...parsed.data });
    switch (result.kind) {
      case 'DECIDED':
        return result.decision;
      case 'REPLAY':
        res.setHeader('Idempotent-Replayed', 'true');
        return result.decision;
      case 'CONFLICT':
        throw new UnprocessableEntityException({
          error: 'IDEMPOTENCY_KEY_REUSED',
          detail: 'this Idempotency-Key was already used for a different request',
        });
    }
  }
}
