import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessagingRuntime, SweepScheduler, withSpan } from '@platform/messaging';
import type { EmoticonsConfig } from '../config';
import { EMOTICONS_CONFIG } from '../tokens';
import { EntitlementRepository } from './entitlement.repository';

/**
 * Expires running clocks whose end has passed and publishes `emoticon.entitlement.expired.v1` once
 * per entitlement, in the same transaction as the state change; then publishes
 * `emoticon.entitlement.expiring-soon.v1` once per running clock whose reminder is due (issue 19). Safe in any number of replicas at
 * once (each batch locks its rows with SKIP LOCKED; see EntitlementRepository.expireDue) and cheap
 * on a huge table (a partial index holds only running clocks; batches are bounded). Runs every
 * EMOTICON_SWEEP_INTERVAL_MS (SweepScheduler: one run at a time, awaited at shutdown).
 */
@Injectable()
export class ExpirySweep {
  // the log context keeps the old class name: log queries and dashboards filter on it
  private readonly log = new Logger('ExpirySweeper');
  expiredTotal = 0;
  remindedTotal = 0;

  constructor(
    private readonly repo: EntitlementRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(EMOTICONS_CONFIG) private readonly config: EmoticonsConfig,
    sweeps: SweepScheduler,
  ) {
    sweeps.every({ name: 'emoticon expiry sweep', everyMs: config.EMOTICON_SWEEP_INTERVAL_MS, log: this.log }, async () => {
      // expire first: a pack that just expired is not reminded (remindDue also checks expires_at)
      await this.sweepOnce();
      await this.remindOnce();
    });
  }

  /**
   * One pass: batches of EMOTICON_SWEEP_BATCH_SIZE, each its own transaction, until nothing is due
   * or EMOTICON_SWEEP_MAX_BATCHES ran. Returns how many entitlements this call expired.
   */
  sweepOnce(): Promise<number> {
    return withSpan('emoticon expiry sweep', {}, () => this.sweep());
  }

  /** Like sweepOnce, for due reminders: returns how many this call sent. */
  remindOnce(): Promise<number> {
    return withSpan('emoticon expiry reminder sweep', {}, async () => {
      const { EMOTICON_SWEEP_BATCH_SIZE: batch, EMOTICON_SWEEP_MAX_BATCHES: maxBatches } = this.config;
      let total = 0;
      for (let i = 0; i < maxBatches; i++) {
        const n = await this.messaging.transaction(async (ctx) => {
          const rows = await this.repo.remindDue(ctx.manager, ctx.now, batch);
          for (const r of rows) {
            ctx.emit('entitlementExpiringSoon', {
              entitlementId: r.entitlementId,
              accountId: r.accountId,
              campaignId: r.campaignId,
              emoticonId: r.emoticonId,
              expiresAt: r.expiresAt.toISOString(),
              remindedAt: ctx.now.toISOString(),
            });
          }
          return rows.length;
        });
        total += n;
        if (n < batch) break;
      }
      this.remindedTotal += total;
      if (total > 0) this.log.log(`reminded ${total} entitlements of their expiry`);
      return total;
    });
  }

  private async sweep(): Promise<number> {
    const { EMOTICON_SWEEP_BATCH_SIZE: batch, EMOTICON_SWEEP_MAX_BATCHES: maxBatches } = this.config;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await this.messaging.transaction(async (ctx) => {
        const rows = await this.repo.expireDue(ctx.manager, ctx.now, batch);
        for (const r of rows) {
          ctx.emit('entitlementExpired', {
            entitlementId: r.entitlementId,
            accountId: r.accountId,
            emoticonId: r.emoticonId,
            expiredAt: r.expiresAt.toISOString(),
          });
        }
        return rows.length;
      });
      total += n;
      if (n < batch) break;
    }
    this.expiredTotal += total;
    if (total > 0) this.log.log(`expired ${total} entitlements`);
    return total;
  }
}
