import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessagingRuntime, SweepScheduler, TxContext, withSpan } from '@platform/messaging';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { RegistrationDueRow, RegistrationRepository, SWEEP_BATCH } from './registration.repository';

/** The pass both events are about (expired, or reminded before it expires). */
const duePass = (r: RegistrationDueRow) => ({
  passId: r.pass_id,
  accountId: r.account_id,
  campaignId: r.campaign_id,
  registerBy: new Date(r.register_by).toISOString(),
});

/**
 * R9: a sent pass not registered by registerBy (inclusive) expires; the sweep runs
 * EXPIRY_GRACE_SECONDS after registerBy so requests made in time but still in flight win
 * (libs/rules passes/registration.ts registrationExpired). Several replicas may sweep at once.
 * It also sends talkdrawer.pass.registration.expiring-soon.v1 once per sent, unregistered pass
 * whose reminder is due (registerBy - the campaign's remindBeforeRegistrationEndsSeconds; issue 19)
 * while registerBy (inclusive) has not passed.
 */
@Injectable()
export class ExpirySweep {
  private readonly log = new Logger('ExpirySweep');

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly messaging: MessagingRuntime,
    private readonly repo: RegistrationRepository,
    sweeps: SweepScheduler,
  ) {
    sweeps.every({ name: 'pass expiry sweep', everyMs: config.EXPIRY_SWEEP_INTERVAL_MS, log: this.log }, async () => {
      // expire first: a pass that just expired is not reminded
      await this.sweepOnce();
      await this.remindOnce();
    });
  }

  /** Expires every due pass; returns how many. */
  sweepOnce(): Promise<number> {
    return withSpan('pass expiry sweep', {}, () =>
      this.inBatches(
        (ctx) => this.repo.expireDue(ctx, this.config.EXPIRY_GRACE_SECONDS),
        (ctx, r) => ctx.emit('passExpired', { ...duePass(r), expiredAt: ctx.now.toISOString() }),
      ),
    );
  }

  /** Sends every due registration reminder; returns how many. */
  remindOnce(): Promise<number> {
    return withSpan('pass registration reminder sweep', {}, () =>
      this.inBatches(
        (ctx) => this.repo.remindDue(ctx),
        (ctx, r) => ctx.emit('passRegistrationExpiringSoon', { ...duePass(r), remindedAt: ctx.now.toISOString() }),
      ),
    );
  }

  /**
   * One transaction per batch: `take` marks up to SWEEP_BATCH due passes, each is announced in the
   * same transaction; repeats until a batch comes back short. Returns how many passes in all.
   */
  private async inBatches(
    take: (ctx: TxContext) => Promise<RegistrationDueRow[]>,
    announce: (ctx: TxContext, r: RegistrationDueRow) => void,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.messaging.transaction(async (ctx) => {
        const rows = await take(ctx);
        for (const r of rows) announce(ctx, r);
        return rows.length;
      });
      total += n;
      if (n < SWEEP_BATCH) return total;
    }
  }
}
