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
 * It also sends talkdrawer.pass.registration.expiring-soon.v1 once per sent, unregistered pass
 * whose reminder is due (registerBy - the campaign's remindBeforeRegistrationEndsSeconds; issue 19)
 * while registerBy (inclusive) has not passed.
 */
@Injectable()
export class ExpirySweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('ExpirySweep');
  private readonly task: IntervalTask;

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly messaging: MessagingRuntime,
  ) {
    // expire first: a pass that just expired is not reminded
    this.task = new IntervalTask(this.log, config.EXPIRY_SWEEP_INTERVAL_MS, async () => {
      await this.sweepOnce();
      await this.remindOnce();
    });
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

  /** Sends every due registration reminder; returns how many. */
  remindOnce(): Promise<number> {
    return withSpan('pass registration reminder sweep', {}, async () => {
      let total = 0;
      for (;;) {
        const n = await this.messaging.transaction(async (ctx) => {
          // Due: now <= registerBy <= now + lead (libs/rules reminderDueAt, per campaign). The
          // reminded mark re-checked in the UPDATE, with SKIP LOCKED: once across replicas and restarts.
          const rows = await returning<{ pass_id: string; account_id: string; campaign_id: string; register_by: Date }>(
            ctx,
            `UPDATE pass p SET registration_reminded_at = $1
               FROM (SELECT d.pass_id FROM pass d JOIN pass_campaign c ON c.campaign_id = d.campaign_id
                      WHERE c.remind_before_registration_ends_seconds IS NOT NULL
                        AND d.register_by IS NOT NULL AND d.registered_at IS NULL AND d.expired_at IS NULL
                        AND d.registration_reminded_at IS NULL
                        AND d.register_by >= $1
                        AND d.register_by <= $1::timestamptz + make_interval(secs => c.remind_before_registration_ends_seconds)
                      ORDER BY d.register_by LIMIT ${BATCH} FOR UPDATE OF d SKIP LOCKED) due
              WHERE p.pass_id = due.pass_id AND p.registration_reminded_at IS NULL AND p.registered_at IS NULL
              RETURNING p.pass_id, p.account_id, p.campaign_id, p.register_by`,
            [ctx.now],
          );
          for (const r of rows) {
            ctx.emit('passRegistrationExpiringSoon', {
              passId: r.pass_id,
              accountId: r.account_id,
              campaignId: r.campaign_id,
              registerBy: new Date(r.register_by).toISOString(),
              remindedAt: ctx.now.toISOString(),
            });
          }
          return rows.length;
        });
        total += n;
        if (n < BATCH) return total;
      }
    });
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
