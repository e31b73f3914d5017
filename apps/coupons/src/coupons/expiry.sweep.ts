import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessagingRuntime, SweepScheduler, withSpan } from '@platform/messaging';
import { CouponRepository } from './coupon.repository';
import { COUPONS_CONFIG } from '../tokens';
import type { CouponsConfig } from '../config';

/**
 * Announces coupon.expired.v1 once per unused coupon at or past expiresAt, and
 * coupon.expiring-soon.v1 once per unused, unexpired coupon whose reminder is due (remind_at, fixed
 * at issue from the campaign's remindBeforeExpirySeconds). Safe on any number of replicas at once
 * (FOR UPDATE SKIP LOCKED); each event and its mark are one transaction. Runs every
 * COUPON_SWEEP_INTERVAL_MS (SweepScheduler: one run at a time, awaited at shutdown).
 */
@Injectable()
export class ExpirySweep {
  private readonly log = new Logger('CouponExpiry');

  constructor(
    private readonly coupons: CouponRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(COUPONS_CONFIG) private readonly config: CouponsConfig,
    sweeps: SweepScheduler,
  ) {
    sweeps.every({ name: 'coupon expiry sweep', everyMs: config.COUPON_SWEEP_INTERVAL_MS, log: this.log }, async () => {
      // expire first: a coupon that just expired is not reminded (remindDue also checks expires_at)
      await this.sweepAll();
      await this.remindAll();
    });
  }

  /** One batch in one transaction; returns how many coupons it expired. */
  sweepOnce(): Promise<number> {
    return this.messaging.transaction(async (ctx) => {
      const expired = await this.coupons.expireDue(ctx.manager, ctx.now, this.config.COUPON_SWEEP_BATCH);
      for (const c of expired) {
        ctx.emit('couponExpired', {
          couponId: c.couponId,
          accountId: c.accountId,
          amountWon: c.amountWon,
          expiredAt: c.expiresAt.toISOString(),
        });
      }
      return expired.length;
    });
  }

  /** One batch of due reminders in one transaction; returns how many it sent. */
  remindOnce(): Promise<number> {
    return this.messaging.transaction(async (ctx) => {
      const due = await this.coupons.remindDue(ctx.manager, ctx.now, this.config.COUPON_SWEEP_BATCH);
      for (const c of due) {
        ctx.emit('couponExpiringSoon', {
          couponId: c.couponId,
          accountId: c.accountId,
          campaignId: c.campaignId,
          amountWon: c.amountWon,
          expiresAt: c.expiresAt.toISOString(),
          remindedAt: ctx.now.toISOString(),
        });
      }
      return due.length;
    });
  }

  /** Reminder batches until nothing is due (one trace per sweep). */
  remindAll(): Promise<number> {
    return withSpan('coupon expiry reminder sweep', {}, async () => {
      let total = 0;
      for (;;) {
        const n = await this.remindOnce();
        total += n;
        if (n < this.config.COUPON_SWEEP_BATCH) break;
      }
      if (total > 0) this.log.log(`reminded ${total} coupon(s) of their expiry`);
      return total;
    });
  }

  /** Batches until nothing is due (one trace per sweep). */
  sweepAll(): Promise<number> {
    return withSpan('coupon expiry sweep', {}, () => this.sweepBatches());
  }

  private async sweepBatches(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.sweepOnce();
      total += n;
      if (n < this.config.COUPON_SWEEP_BATCH) break;
    }
    if (total > 0) this.log.log(`expired ${total} coupon(s)`);
    return total;
  }
}
