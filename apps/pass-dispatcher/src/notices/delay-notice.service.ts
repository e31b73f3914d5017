import { Inject, Injectable, Logger } from '@nestjs/common';
import { causedBy, MessagingRuntime, TxContext, withSpan } from '@platform/messaging';
import { EtaModel } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { CampaignRepository, PassCampaign } from '../campaigns/campaign.repository';
import { DelayNoticeRepository, DueTrigger, NOTICE_BATCH, NoticedRow } from './delay-notice.repository';

const MAX_ROUNDS = 20;

/**
 * R8 / I6, delay notices, exactly once per pass (DelayNoticeRepository: the `notice_at IS NULL`
 * guard under the row lock, locked rows skipped).
 *
 * Estimator (`estimateOnce`): per campaign with a queue, records a watermark sample, builds the ETA
 * model (measured rate, current stall; libs/rules passes/eta.ts) and notices every unsent pass whose
 * estimated delivery is later than claim + threshold, as soon as that is known. Candidates come
 * from a partial index on the deadline (only passes whose deadline is before the queue's estimated
 * drain can be late), so a healthy queue of millions costs nothing.
 *
 * Watchdog (`watchdogOnce`): independent of the sender and of the estimate, notices every unsent
 * pass whose claim + threshold - margin <= now. The reservation applies the same rule to the passes
 * it inserts (`noticeReserved`, same transaction), so a pass reserved already that late is noticed
 * at once. DelayNoticeSweep runs the estimator and the watchdog on their timers.
 */
@Injectable()
export class DelayNoticeService {
  private readonly log = new Logger('DelayNotices');

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly messaging: MessagingRuntime,
    private readonly campaigns: CampaignRepository,
    private readonly notices: DelayNoticeRepository,
  ) {}

  private get modelOptions() {
    return { windowMs: this.config.RATE_WINDOW_SECONDS * 1000, defaultRate: this.config.DISPATCH_RATE_PER_SECOND };
  }

  /** One estimator pass over all campaigns with a queue; returns the notices emitted. */
  estimateOnce(): Promise<number> {
    return withSpan('pass delay estimate', {}, () => this.estimate());
  }

  private async estimate(): Promise<number> {
    const waiting = await this.campaigns.load({ waiting: true });
    let total = 0;
    for (const c of waiting) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const n = await this.messaging.transaction(async (ctx) => {
          if (!(await this.notices.tryEstimatorLock(ctx, c.campaignId))) return 0;
          const [fresh] = await this.campaigns.load({ ids: [c.campaignId] }, ctx);
          if (!fresh) return 0;
          // two windows of samples kept: the rate is measured over one
          if (round === 0) await this.campaigns.recordProgress(ctx, fresh, 2 * this.config.RATE_WINDOW_SECONDS);
          const model = await this.campaigns.etaModel(fresh, ctx.now, this.modelOptions, ctx);
          const rows = await this.notices.noticeLate(ctx, fresh.campaignId, model, fresh.reserved);
          if (rows.length > 0) {
            this.log.log(
              `${fresh.campaignId}: ${rows.length} delay notice(s); rate ${model.ratePerSecond.toFixed(2)}/s, stalled ${Math.round(model.stalledMs / 1000)} s, watermark ${model.watermark}`,
            );
          }
          this.emit(ctx, fresh, rows);
          return rows.length;
        });
        total += n;
        if (n < NOTICE_BATCH) break;
      }
    }
    return total;
  }

  /** One watchdog pass; returns the notices emitted. */
  watchdogOnce(): Promise<number> {
    return withSpan('pass delay watchdog', {}, () => this.watch());
  }

  private async watch(): Promise<number> {
    const waiting = await this.campaigns.load({ waiting: true });
    let total = 0;
    for (const c of waiting) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const n = await this.messaging.transaction(async (ctx) => {
          const model = await this.campaigns.etaModel(c, ctx.now, this.modelOptions, ctx);
          return this.noticeDue(ctx, c, model, 'WATCHDOG');
        });
        total += n;
        if (n > 0)
          this.log.warn(`watchdog: ${n} delay notice(s) for ${c.campaignId} (deadline within ${this.config.DELAY_NOTICE_MARGIN_MS} ms)`);
        if (n < NOTICE_BATCH) break;
      }
    }
    return total;
  }

  /**
   * Issue 17: notices, in the reserving transaction `ctx`, every pass of `passes` (just inserted
   * there) whose deadline is already within the margin, so such a pass never waits for a watchdog
   * tick that may come too late on a loaded machine (claims stalled by an outage). Same ETA model,
   * guard and event as the watchdog; trigger RESERVATION. Returns the notices emitted.
   */
  async noticeReserved(ctx: TxContext, campaignId: string, passes: { passId: string; noticeDeadline: Date }[]): Promise<number> {
    // Most reservations have nothing due: decided here without a query (SQL decides exactly; 1 ms for sub-ms deadlines).
    const dueBy = ctx.now.getTime() + this.config.DELAY_NOTICE_MARGIN_MS + 1;
    const passIds = passes.filter((p) => p.noticeDeadline.getTime() <= dueBy).map((p) => p.passId);
    if (passIds.length === 0) return 0;
    const [c] = await this.campaigns.load({ ids: [campaignId] }, ctx);
    if (!c) return 0;
    const model = await this.campaigns.etaModel(c, ctx.now, this.modelOptions, ctx);
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const n = await this.noticeDue(ctx, c, model, 'RESERVATION', passIds);
      total += n;
      if (n < NOTICE_BATCH) break;
    }
    if (total > 0)
      this.log.warn(`reservation: ${total} delay notice(s) for ${campaignId} (deadline within ${this.config.DELAY_NOTICE_MARGIN_MS} ms)`);
    return total;
  }

  /** The watchdog's rule, shared with the reservation (DelayNoticeRepository.noticeDue), and its events. */
  private async noticeDue(ctx: TxContext, c: PassCampaign, model: EtaModel, trigger: DueTrigger, passIds?: string[]): Promise<number> {
    const rows = await this.notices.noticeDue(ctx, c.campaignId, this.config.DELAY_NOTICE_MARGIN_MS, model, trigger, passIds);
    this.emit(ctx, c, rows);
    return rows.length;
  }

  private emit(ctx: TxContext, c: PassCampaign, rows: NoticedRow[]): void {
    for (const r of rows) {
      ctx.emit(
        'passDelayNotice',
        {
          passId: r.pass_id,
          accountId: r.account_id,
          campaignId: c.campaignId,
          slot: r.slot,
          claimedAt: new Date(r.claimed_at).toISOString(),
          estimatedDeliveryAt: new Date(r.notice_eta).toISOString(),
          noticedAt: ctx.now.toISOString(),
        },
        causedBy(r.trace_parent, 'pass delay notice', { 'pass.slot': r.slot }),
      );
    }
  }
}
