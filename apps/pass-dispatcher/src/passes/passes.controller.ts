import { BadRequestException, Body, Controller, Get, HttpCode, Inject, NotFoundException, Param, Post, Put } from '@nestjs/common';
import { z } from 'zod';
import { Actor, CurrentActor, Roles } from '@platform/auth';
import { AccountId, AccountRead, auditOpsAction, CLOCK, Clock, MessagingRuntime, TxContext } from '@platform/messaging';
import { estimateDrainAt, measuredRate } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { DispatchCoordinator } from '../dispatch/dispatch.coordinator';
import { allowedRate, CampaignControls, CampaignRepository } from '../campaigns/campaign.repository';
import { PassRepository } from './pass.repository';

const ID = /^[\x21-\x7e]{1,128}$/;
const rateBody = z.strictObject({ perSecond: z.number().positive().max(100_000).nullable() });

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

/**
 * Ops view and on-call controls. Controls live in the database, so every replica and any new sender
 * obey them; each control is audited (ops_audit + talkdrawer.ops.audited.v1) in its own transaction.
 */
@Controller('passes')
export class PassesController {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly passes: PassRepository,
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
    const campaigns = await this.campaigns.load();
    const notices = await this.passes.noticeCounts();
    const out = [];
    for (const c of campaigns) {
      const model = await this.campaigns.etaModel(c, now, { windowMs, defaultRate: this.config.DISPATCH_RATE_PER_SECOND });
      // "current" rate: over the window ending now (0 while stalled)
      const samples = (await this.campaigns.progressSamples(c, windowMs)).filter((s) => s.at.getTime() >= now.getTime() - windowMs);
      const current = c.reserved > c.sentWatermark || samples.length > 0 ? [...samples, { at: now, watermark: c.sentWatermark }] : [];
      const byTrigger = Object.fromEntries(notices.filter((n) => n.campaignId === c.campaignId).map((n) => [n.trigger, n.count]));
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
    return this.control(actor, 'passes.campaign.pause', id, {}, (ctx) => this.campaigns.pause(ctx, id));
  }

  @Post('campaigns/:id/resume')
  @HttpCode(200)
  @Roles('ops')
  resume(@Param('id') id: string, @CurrentActor() actor: Actor) {
    // The queue waits from now on (a paused period is not a stall of the channel to extrapolate).
    const at = this.clock.now();
    return this.control(actor, 'passes.campaign.resume', id, {}, (ctx) => this.campaigns.resume(ctx, id, at));
  }

  /** `{ perSecond: number }` sets the campaign's send rate; `{ perSecond: null }` returns to the default. */
  @Put('campaigns/:id/rate')
  @Roles('ops')
  setRate(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = rateBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_RATE', detail: 'expected { perSecond: number > 0 | null }' });
    const perSecond = parsed.data.perSecond;
    return this.control(actor, 'passes.campaign.rate', id, { perSecond }, (ctx) => this.campaigns.setRate(ctx, id, perSecond));
  }

  /** An account's passes with their state. */
  @AccountRead()
  async byAccount(@AccountId() accountId: string) {
    const rows = await this.passes.byAccount(accountId);
    const soldOut = await this.passes.soldOutByAccount(accountId);
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

  /** Applies `change` and audits it, in one transaction; 404 for an unknown campaign. */
  private async control(
    actor: Actor,
    action: string,
    id: string,
    detail: Record<string, unknown>,
    change: (ctx: TxContext) => Promise<CampaignControls | undefined>,
  ) {
    if (!ID.test(id)) throw new BadRequestException({ error: 'INVALID_CAMPAIGN_ID' });
    const row = await this.messaging.transaction(async (ctx) => {
      const changed = await change(ctx);
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
