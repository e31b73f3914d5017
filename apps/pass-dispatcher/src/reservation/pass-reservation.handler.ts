import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { dlqReason, PassReward } from '@platform/contracts';
import { Batch, Inbound, OnBatch, traceparentOf, TxContext } from '@platform/messaging';
import { allocateSlots } from '@platform/rules';
import { DelayNoticeService } from '../notices/delay-notice.service';
import { NewPass, ReservationRepository } from './reservation.repository';

type Decision = Inbound<'claimDecided'>;

interface Candidate {
  m: Decision;
  claimId: string;
  campaignId: string;
  terms: PassReward | null;
}

/**
 * R7 / I4: every ACCEPTED claim of a campaign that offers the pass gets the next slot, or SOLD_OUT
 * past the cap. Per chunk and campaign: one row lock on the campaign's counter, one check of which
 * claims are already decided (after the lock, so racing replicas and re-published decisions are
 * seen), one counter update, one insert of all new passes. No sequence: a rolled-back chunk gives
 * its slots back with the counter, so slots stay contiguous.
 */
@Controller()
export class PassReservationHandler {
  private readonly log = new Logger('PassReserver');

  constructor(
    private readonly repo: ReservationRepository,
    private readonly notices: DelayNoticeService,
  ) {}

  @OnBatch('claimDecided')
  async onDecided(@Payload() messages: Batch<'claimDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const byClaim = new Map<string, Candidate>();
    for (const m of messages) {
      const v = m.value;
      if (v.status !== 'ACCEPTED') continue;
      if (v.rewards && v.rewards.pass === null) continue; // this campaign offers no pass
      if (!byClaim.has(v.claimId))
        byClaim.set(v.claimId, { m, claimId: v.claimId, campaignId: v.campaignId, terms: v.rewards?.pass ?? null });
    }
    if (byClaim.size === 0) return;

    const byCampaign = new Map<string, Candidate[]>();
    for (const c of byClaim.values()) {
      const list = byCampaign.get(c.campaignId) ?? [];
      list.push(c);
      byCampaign.set(c.campaignId, list);
    }
    await this.ensureCampaigns(ctx, byCampaign);
    // Campaign rows are locked in id order, so two replicas never wait on each other in a cycle.
    for (const campaignId of [...byCampaign.keys()].sort()) {
      await this.reserve(ctx, campaignId, byCampaign.get(campaignId) ?? []);
    }
  }

  /** A campaign's terms are fixed by the first decision that carries them (campaigns are immutable). */
  private async ensureCampaigns(ctx: TxContext, byCampaign: Map<string, Candidate[]>): Promise<void> {
    const ids: string[] = [];
    const terms: PassReward[] = [];
    // in id order, like the row locks below
    for (const id of [...byCampaign.keys()].sort()) {
      const t = byCampaign.get(id)?.find((c) => c.terms)?.terms;
      if (t) {
        ids.push(id);
        terms.push(t);
      }
    }
    if (ids.length === 0) return;
    await this.repo.defineCampaigns(ctx, ids, terms);
  }

  private async reserve(ctx: TxContext, campaignId: string, candidates: Candidate[]): Promise<void> {
    const campaign = await this.repo.lockCampaign(ctx, campaignId);
    if (!campaign) {
      // An accepted decision without rewards, for a campaign we never saw terms for.
      for (const c of candidates)
        ctx.reject(c.m, dlqReason('NO_PASS_TERMS', `accepted decision without rewards.pass for unknown campaign ${campaignId}`));
      return;
    }
    // Under the lock: everything another transaction decided for these claims is committed and visible.
    const claimIds = candidates.map((c) => c.claimId);
    const seen = await this.repo.decidedClaims(ctx, claimIds);
    const fresh = candidates.filter((c) => !seen.has(c.claimId));
    if (fresh.length === 0) return;

    const alloc = allocateSlots(campaign.reserved, campaign.cap, fresh.length);
    const granted = fresh.slice(0, alloc.granted);
    const soldOut = fresh.slice(alloc.granted);
    await this.repo.advance(ctx, campaignId, alloc.reservedAfter, soldOut.length);
    const reservedAt = ctx.now.toISOString();
    if (granted.length > 0) {
      const passes: NewPass[] = granted.map((c, i) => ({
        passId: randomUUID(),
        slot: alloc.firstSlot + i,
        claimId: c.claimId,
        eventId: c.m.value.eventId,
        accountId: c.m.value.accountId,
        claimedAt: c.m.value.requestedAt,
        traceParent: traceparentOf(c.m.trace),
      }));
      await this.repo.insertPasses(ctx, campaignId, passes, campaign.delayNoticeAfterSeconds);
      granted.forEach((c, i) => {
        const claimedAt = new Date(c.m.value.requestedAt);
        ctx.emit(
          'passReserved',
          {
            passId: passes[i]?.passId ?? '',
            accountId: c.m.value.accountId,
            claimId: c.claimId,
            eventId: c.m.value.eventId,
            campaignId,
            slot: passes[i]?.slot ?? 0,
            claimedAt: claimedAt.toISOString(),
            reservedAt,
          },
          c.m,
        );
      });
      // R8 / I6 (issue 17): a pass reserved when its deadline is already within the notice margin
      // (claims held up by an outage) is noticed now, in this transaction, not at a later timer tick.
      await this.notices.noticeReserved(
        ctx,
        campaignId,
        granted.map((c, i) => ({
          passId: passes[i]?.passId ?? '',
          noticeDeadline: new Date(Date.parse(c.m.value.requestedAt) + campaign.delayNoticeAfterSeconds * 1000),
        })),
      );
    }
    if (soldOut.length > 0) {
      await this.repo.insertSoldOut(
        ctx,
        campaignId,
        soldOut.map((c) => ({ claimId: c.claimId, accountId: c.m.value.accountId, eventId: c.m.value.eventId })),
      );
      for (const c of soldOut) {
        ctx.emit(
          'passSoldOut',
          {
            accountId: c.m.value.accountId,
            claimId: c.claimId,
            eventId: c.m.value.eventId,
            campaignId,
            cap: campaign.cap,
            decidedAt: reservedAt,
          },
          c.m,
        );
      }
      this.log.debug(`${campaignId}: ${soldOut.length} sold out (cap ${campaign.cap})`);
    }
  }
}
