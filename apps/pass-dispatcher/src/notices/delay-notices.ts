import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { causedBy, MessagingRuntime, TxContext, withSpan } from '@platform/messaging';
import { EtaModel } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { campaignEtaModel, ETA_SQL, loadCampaigns, PassCampaign, returning } from '../shared/campaigns';
import { IntervalTask } from '../shared/interval-task';

/** Advisory (transaction) lock class: one estimator run per campaign at a time across replicas. */
const ESTIMATOR_LOCK_CLASS = 727101;
const BATCH = 5000;
const MAX_ROUNDS = 20;

/** Who noticed a pass by the deadline-within-margin rule (the `pass.notice_trigger` column). */
type DueTrigger = 'WATCHDOG' | 'RESERVATION';

interface NoticedRow {
  pass_id: string;
  account_id: string;
  slot: number;
  claimed_at: Date;
  notice_eta: Date;
  trace_parent: string | null;
}

/**
 * R8 / I6, delay notices, exactly once per pass (the `notice_at IS NULL` guard, rechecked under the
 * row lock, decides who writes it; rows locked by another run are skipped, not waited for).
 *
 * Estimator: every ESTIMATOR_INTERVAL_MS, per campaign with a queue, records a watermark sample,
 * builds the ETA model (measured rate, current stall; libs/rules passes/eta.ts) and notices every
 * unsent pass whose estimated delivery is later than claim + threshold, as soon as that is known.
 * Candidates come from a partial index on the deadline (only passes whose deadline is before the
 * queue's estimated drain can be late), so a healthy queue of millions costs nothing.
 *
 * Watchdog: every WATCHDOG_INTERVAL_MS, independent of the sender and of the estimate, notices
 * every unsent pass whose claim + threshold - margin <= now. The reservation applies the same rule
 * to the passes it inserts (`noticeReserved`, same transaction), so a pass reserved already that
 * late is noticed at once.
 */
@Injectable()
export class DelayNotices implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('DelayNotices');
  private readonly estimator: IntervalTask;
  private readonly watchdog: IntervalTask;

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly messaging: MessagingRuntime,
  ) {
    this.estimator = new IntervalTask(this.log, config.ESTIMATOR_INTERVAL_MS, () => this.estimateOnce());
    this.watchdog = new IntervalTask(this.log, config.WATCHDOG_INTERVAL_MS, () => this.watchdogOnce());
  }

  onApplicationBootstrap(): void {
    this.estimator.start();
    this.watchdog.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([this.estimator.stop(), this.watchdog.stop()]);
  }

  private get modelOptions() {
    return { windowMs: this.config.RATE_WINDOW_SECONDS * 1000, defaultRate: this.config.DISPATCH_RATE_PER_SECOND };
  }

  /** One estimator pass over all campaigns with a queue; returns the notices emitted. */
  estimateOnce(): Promise<number> {
    return withSpan('pass delay estimate', {}, () => this.estimate());
  }

  private async estimate(): Promise<number> {
    const waiting = await loadCampaigns(this.messaging.dataSource, undefined, { waiting: true });
    let total = 0;
    for (const c of waiting) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const n = await this.messaging.transaction(async (ctx) => {
          const [lock] = await ctx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [
            ESTIMATOR_LOCK_CLASS,
            c.campaignId,
          ]);
          if (!lock?.ok) return 0;
          const [fresh] = await loadCampaigns(ctx, [c.campaignId]);
          if (!fresh) return 0;
          if (round === 0) await this.sample(ctx, fresh);
          const model = await campaignEtaModel(ctx, fresh, ctx.now, this.modelOptions);
          return this.noticeLate(ctx, fresh, model);
        });
        total += n;
        if (n < BATCH) break;
      }
    }
    return total;
  }

  /** One watchdog pass; returns the notices emitted. */
  watchdogOnce(): Promise<number> {
    return withSpan('pass delay watchdog', {}, () => this.watch());
  }

  private async watch(): Promise<number> {
    const waiting = await loadCampaigns(this.messaging.dataSource, undefined, { waiting: true });
    let total = 0;
    for (const c of waiting) {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const n = await this.messaging.transaction(async (ctx) => {
          const model = await campaignEtaModel(ctx, c, ctx.now, this.modelOptions);
          return this.noticeDue(ctx, c, model, 'WATCHDOG');
        });
        total += n;
        if (n > 0)
          this.log.warn(`watchdog: ${n} delay notice(s) for ${c.campaignId} (deadline within ${this.config.DELAY_NOTICE_MARGIN_MS} ms)`);
        if (n < BATCH) break;
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
    const [c] = await loadCampaigns(ctx, [campaignId]);
    if (!c) return 0;
    const model = await campaignEtaModel(ctx, c, ctx.now, this.modelOptions);
    let total = 0;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const n = await this.noticeDue(ctx, c, model, 'RESERVATION', passIds);
      total += n;
      if (n < BATCH) break;
    }
    if (total > 0)
      this.log.warn(`reservation: ${total} delay notice(s) for ${campaignId} (deadline within ${this.config.DELAY_NOTICE_MARGIN_MS} ms)`);
    return total;
  }

  /**
   * The watchdog's rule, shared with the reservation: notices (up to BATCH, earliest deadline first)
   * every unsent, unnoticed pass of the campaign (only those of `passIds` when given) whose
   * deadline <= now + margin, with the later of the deadline and its ETA under `model`.
   */
  private async noticeDue(ctx: TxContext, c: PassCampaign, model: EtaModel, trigger: DueTrigger, passIds?: string[]): Promise<number> {
    const rows = await returning<NoticedRow>(
      ctx,
      `UPDATE pass p SET notice_at = $2, notice_trigger = $7,
              notice_eta = greatest(p.notice_deadline, ${ETA_SQL('$4', '$5', '$6')})
         FROM (SELECT pass_id FROM pass
                WHERE campaign_id = $1 AND sent_at IS NULL AND notice_at IS NULL
                  AND notice_deadline <= $2::timestamptz + ($3 || ' milliseconds')::interval
                  AND ($8::uuid[] IS NULL OR pass_id = ANY($8::uuid[]))
                ORDER BY notice_deadline LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) due
        WHERE p.pass_id = due.pass_id AND p.notice_at IS NULL AND p.sent_at IS NULL
        RETURNING p.pass_id, p.account_id, p.slot, p.claimed_at, p.notice_eta, p.trace_parent`,
      [
        c.campaignId,
        ctx.now,
        String(this.config.DELAY_NOTICE_MARGIN_MS),
        model.baseAt,
        model.watermark,
        model.secondsPerSlot * 1000,
        trigger,
        passIds ?? null,
      ],
    );
    this.emit(ctx, c, rows);
    return rows.length;
  }

  /** Records (progress_at, watermark) when the watermark moved since the last sample; keeps two windows. */
  private async sample(ctx: TxContext, c: PassCampaign): Promise<void> {
    await ctx.query(
      `INSERT INTO pass_progress_sample (campaign_id, at, watermark)
       SELECT $1, $2, $3 WHERE $3 > 0 AND NOT EXISTS (SELECT 1 FROM pass_progress_sample WHERE campaign_id = $1 AND watermark >= $3)
       ON CONFLICT DO NOTHING`,
      [c.campaignId, c.progressAt, c.sentWatermark],
    );
    await ctx.query(`DELETE FROM pass_progress_sample WHERE campaign_id = $1 AND at < $2::timestamptz - ($3 || ' seconds')::interval`, [
      c.campaignId,
      c.progressAt,
      String(2 * this.config.RATE_WINDOW_SECONDS),
    ]);
  }

  private async noticeLate(ctx: TxContext, c: PassCampaign, model: EtaModel): Promise<number> {
    const eta = ETA_SQL('$3', '$4', '$5');
    // Only a pass whose deadline is before the whole queue's estimated drain can be late.
    const rows = await returning<NoticedRow>(
      ctx,
      `UPDATE pass p SET notice_at = $2, notice_trigger = 'ESTIMATE', notice_eta = ${eta.replace(/slot/g, 'p.slot')}
         FROM (SELECT pass_id FROM pass
                WHERE campaign_id = $1 AND sent_at IS NULL AND notice_at IS NULL
                  AND notice_deadline < ${eta.replace(/slot/g, '$6::int')}
                  AND notice_deadline < ${eta}
                ORDER BY notice_deadline LIMIT ${BATCH} FOR UPDATE SKIP LOCKED) late
        WHERE p.pass_id = late.pass_id AND p.notice_at IS NULL AND p.sent_at IS NULL
        RETURNING p.pass_id, p.account_id, p.slot, p.claimed_at, p.notice_eta, p.trace_parent`,
      [c.campaignId, ctx.now, model.baseAt, model.watermark, model.secondsPerSlot * 1000, c.reserved],
    );
    if (rows.length > 0) {
      this.log.log(
        `${c.campaignId}: ${rows.length} delay notice(s); rate ${model.ratePerSecond.toFixed(2)}/s, stalled ${Math.round(model.stalledMs / 1000)} s, watermark ${model.watermark}`,
      );
    }
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
