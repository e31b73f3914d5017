import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Put } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { Actor, CurrentActor, NamesAccount, Roles } from '@platform/auth';
import { auditOpsAction, CLOCK, Clock, MessagingRuntime } from '@platform/messaging';
import { estimateDrainAt, measuredRate } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { DispatchCoordinator } from '../dispatch/dispatch.coordinator';
import { allowedRate, campaignEtaModel, loadCampaigns, progressSamples } from '../shared/campaigns';

const ID = /^[\x21-\x7e]{1,128}$/;
const rateBody = z.strictObject({ perSecond: z.number().positive().max(100_000).nullable() });

interface PassRow {
  pass_id: string;
  campaign_id: string;
  slot: number;
  claim_id: string;
  claimed_at: Date;
  reserved_at: Date;
  notice_deadline: Date;
  sent_at: Date | null;
  register_by: Date | null;
  notice_at: Date | null;
  notice_eta: Date | null;
  notice_trigger: string | null;
  registered_at: Date | null;
  valid_until: Date | null;
  expired_at: Date | null;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/**
 * Ops view and on-call controls. Controls live in the database, so every replica and any new sender
 * obey them; each control is audited (ops_audit + talkdrawer.ops.audited.v1) in its own transaction.
 */
@Controller('passes')
export class PassesController {
  constructor(
    private readonly ds: DataSource,
    private readonly coordinator: DispatchCoordinator,
    private readonly messaging: MessagingRuntime,
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Per campaign: reserved, remaining, watermark, send rate, estimated drain time, notices. */
  @Get('status')
  @Roles('reader', 'ops')
  async status() {
    const now = this.clock.now();
    const windowMs = this.config.RATE_WINDOW_SECONDS * 1000;
    const campaigns = await loadCampaigns(this.ds);
    const notices = (await this.ds.query(
      `SELECT campaign_id, notice_trigger, count(*)::bigint AS n FROM pass WHERE notice_at IS NOT NULL GROUP BY 1, 2`,
    )) as { campaign_id: string; notice_trigger: string; n: string }[];
    const out = [];
    for (const c of campaigns) {
      const model = await campaignEtaModel(this.ds, c, now, { windowMs, defaultRate: this.config.DISPATCH_RATE_PER_SECOND });
      // "current" rate: over the window ending now (0 while stalled)
      const samples = (await progressSamples(this.ds, c, windowMs)).filter((s) => s.at.getTime() >= now.getTime() - windowMs);
      const current = c.reserved > c.sentWatermark || samples.length > 0 ? [...samples, { at: now, watermark: c.sentWatermark }] : [];
      const byTrigger = Object.fromEntries(
        notices.filter((n) => n.campaign_id === c.campaignId).map((n) => [n.notice_trigger, Number(n.n)]),
      );
      out.push({
        campaignId: c.campaignId,
        cap: c.cap,
        reserved: c.reserved,
        remaining: c.cap - c.reserved,
        soldOut: c.soldOut,
        watermark: c.sentWatermark,
        queued: c.reserved - c.sentWatermark,
        paused: c.paused,
        allowedRatePerSecond: allowedRate(c, this.config.DISPATCH_RATE_PER_SECOND),
        currentRatePerSecond: measuredRate(current, windowMs) ?? 0,
        estimateRatePerSecond: model.ratePerSecond,
        stalledSeconds: Math.round(model.stalledMs / 1000),
        estimatedDrainAt: iso(estimateDrainAt(model, c.reserved)),
        noticesSent: Object.values(byTrigger).reduce((a, b) => a + b, 0),
        noticesByTrigger: byTrigger,
        leader: c.leaderId ? { instance: c.leaderId, epoch: c.leaderEpoch, since: iso(c.leaderSince) } : null,
        lastSendError: c.lastSendError,
      });
    }
    return { now: now.toISOString(), instance: this.config.INSTANCE_ID, leading: this.coordinator.leading(), campaigns: out };
  }

  @Post('campaigns/:id/pause')
  @HttpCode(200)
  @Roles('ops')
  pause(@Param('id') id: string, @CurrentActor() actor: Actor) {
    return this.control(actor, 'passes.campaign.pause', id, {}, 'paused = true', []);
  }

  @Post('campaigns/:id/resume')
  @HttpCode(200)
  @Roles('ops')
  resume(@Param('id') id: string, @CurrentActor() actor: Actor) {
    // The queue waits from now on (a paused period is not a stall of the channel to extrapolate).
    return this.control(
      actor,
      'passes.campaign.resume',
      id,
      {},
      'paused = false, progress_at = CASE WHEN paused THEN greatest(progress_at, $2) ELSE progress_at END',
      [this.clock.now()],
    );
  }

  /** `{ perSecond: number }` sets the campaign's send rate; `{ perSecond: null }` returns to the default. */
  @Put('campaigns/:id/rate')
  @Roles('ops')
  setRate(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = rateBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_RATE', detail: 'expected { perSecond: number > 0 | null }' });
    return this.control(actor, 'passes.campaign.rate', id, { perSecond: parsed.data.perSecond }, 'rate_per_second = $2', [
      parsed.data.perSecond,
    ]);
  }

  /** An account's passes with their state. */
  @Get(':accountId')
  @Roles('reader', 'ops', 'app-backend')
  @NamesAccount({ param: 'accountId' })
  async byAccount(@Param('accountId') accountId: string) {
    if (!ID.test(accountId)) throw new BadRequestException({ error: 'INVALID_ACCOUNT_ID' });
    const rows = (await this.ds.query(`SELECT * FROM pass WHERE account_id = $1 ORDER BY reserved_at, slot`, [accountId])) as PassRow[];
    const soldOut = (await this.ds.query(`SELECT claim_id, campaign_id, decided_at FROM pass_sold_out WHERE account_id = $1`, [
      accountId,
    ])) as {
      claim_id: string;
      campaign_id: string;
      decided_at: Date;
    }[];
    return {
      accountId,
      passes: rows.map((r) => ({
        passId: r.pass_id,
        campaignId: r.campaign_id,
        slot: r.slot,
        claimId: r.claim_id,
        state: r.registered_at ? 'REGISTERED' : r.expired_at ? 'EXPIRED' : r.sent_at ? 'SENT' : 'QUEUED',
        claimedAt: iso(r.claimed_at),
        reservedAt: iso(r.reserved_at),
        sentAt: iso(r.sent_at),
        registerBy: iso(r.register_by),
        delayNotice: r.notice_at
          ? { noticedAt: iso(r.notice_at), estimatedDeliveryAt: iso(r.notice_eta), trigger: r.notice_trigger }
          : null,
        registeredAt: iso(r.registered_at),
        validUntil: iso(r.valid_until),
        expiredAt: iso(r.expired_at),
      })),
      soldOut: soldOut.map((s) => ({ claimId: s.claim_id, campaignId: s.campaign_id, decidedAt: iso(s.decided_at) })),
    };
  }

  private async control(actor: Actor, action: string, id: string, detail: Record<string, unknown>, set: string, params: unknown[]) {
    if (!ID.test(id)) throw new BadRequestException({ error: 'INVALID_CAMPAIGN_ID' });
    const row = await this.messaging.transaction(async (ctx) => {
      const [changed] = await ctx.query<{ campaign_id: string; paused: boolean; rate_per_second: number | null }>(
        `UPDATE pass_campaign SET ${set} WHERE campaign_id = $1 RETURNING campaign_id, paused, rate_per_second`,
        [id, ...params],
      );
      if (changed)
        await auditOpsAction(ctx, 'passesOpsAudited', 'pass-dispatcher', {
          actor: actor.subject,
          roles: actor.roles,
          action,
          target: id,
          detail,
          from: actor.from,
        });
      return changed;
    });
    if (!row) throw new NotFoundException({ error: 'UNKNOWN_CAMPAIGN' });
    return {
      campaignId: row.campaign_id,
      paused: row.paused,
      ratePerSecond: row.rate_per_second,
      effectiveRatePerSecond: row.rate_per_second ?? this.config.DISPATCH_RATE_PER_SECOND,
    };
  }
}
