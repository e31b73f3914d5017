import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { MessagingRuntime, withSpan } from '@platform/messaging';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { returning } from '../shared/campaigns';
import { IntervalTask } from '../shared/interval-task';

const BATCH = 5000;

/**
 * R9: a sent pass not registered by registerBy (inclusive) expires; the sweep runs
 * EXPIRY_GRACE_SECONDS after registerBy so requests made in time but still in flight win
 * (libs/rules passes/registration.ts registrationExpired). Several replicas may sweep at once.
 */
@Injectable()
export class ExpirySweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('ExpirySweep');
  private readonly task: IntervalTask;

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly messaging: MessagingRuntime,
  ) {
    this.task = new IntervalTask(this.log, config.EXPIRY_SWEEP_INTERVAL_MS, () => this.sweepOnce());
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.task.stop();
  }

  /** Expires every due pass; returns how many. */
  sweepOnce(): Promise<number> {
    return withSpan('pass expiry sweep', {}, () => this.sweep());
  }

  private async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.messaging.transaction(async (ctx) => {
        const rows = await returning<{ pass_id: string; account_id: string; campaign_id: string; register_by: Date }>(
          ctx,
          `UPDATE pass p SET expired_at = $1
             FROM (SELECT pass_id FROM pass
                    WHERE registered_at IS NULL AND expired_at IS NULL AND register_by IS NOT NULL
                      AND register_by < $1::timestamptz - ($2 || ' seconds')::interval
                    ORDER BY register_by LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) due
            WHERE p.pass_id = due.pass_id AND p.registered_at IS NULL AND p.expired_at IS NULL
            RETURNING p.pass_id, p.account_id, p.campaign_id, p.register_by`,
          [ctx.now, String(this.config.EXPIRY_GRACE_SECONDS)],
        );
        for (const r of rows) {
          ctx.emit('passExpired', {
            passId: r.pass_id,
            accountId: r.account_id,
            campaignId: r.campaign_id,
            registerBy: new Date(r.register_by).toISOString(),
            expiredAt: ctx.now.toISOString(),
          });
        }
        return rows.length;
      });
      total += n;
      if (n < BATCH) return total;
    }
  }
}
