import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { dlqReason, PassReward } from '@platform/contracts';
import { Batch, Inbound, OnBatch, traceparentOf, TxContext } from '@platform/messaging';
import { allocateSlots } from '@platform/rules';
import { DelayNotices } from '../notices/delay-notices';

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
export class PassReserver {
  private readonly log = new Logger('PassReserver');

  constructor(private readonly notices: DelayNotices) {}

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
    await ctx.query(
      `INSERT INTO pass_campaign (campaign_id, cap, delay_notice_after_seconds, registration_window_seconds, validity_seconds, storage_gb,
                                  remind_before_registration_ends_seconds, progress_at)
       SELECT t.*, $7::timestamptz FROM unnest($1::text[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[], $8::int[]) AS t
       ON CONFLICT (campaign_id) DO NOTHING`,
      [
        ids,
        terms.map((t) => t.cap),
        terms.map((t) => t.delayNoticeAfterSeconds),
        terms.map((t) => t.registrationWindowSeconds),
        terms.map((t) => t.validitySeconds),
        terms.map((t) => t.storageGb),
        ctx.now,
        terms.map((t) => t.remindBeforeRegistrationEndsSeconds ?? null),
      ],
    );
  }

  private async reserve(ctx: TxContext, campaignId: string, candidates: Candidate[]): Promise<void> {
    const [campaign] = await ctx.query<{ cap: number; reserved: number; delay_notice_after_seconds: number }>(
      `SELECT cap, reserved, delay_notice_after_seconds FROM pass_campaign WHERE campaign_id = $1 FOR UPDATE`,
      [campaignId],
    );
    if (!campaign) {
      // An accepted decision without rewards, for a campaign we never saw terms for.
      for (const c of candidates)
        ctx.reject(c.m, dlqReason('NO_PASS_TERMS', `accepted decision without rewards.pass for unknown campaign ${campaignId}`));
      return;
    }
    // Under the lock: everything another transaction decided for these claims is committed and visible.
    const claimIds = candidates.map((c) => c.claimId);
    const known = await ctx.query<{ claim_id: string }>(
      `SELECT claim_id FROM pass WHERE claim_id = ANY($1) UNION ALL SELECT claim_id FROM pass_sold_out WHERE claim_id = ANY($1)`,
      [claimIds],
    );
    const seen = new Set(known.map((k) => k.claim_id));
    const fresh = candidates.filter((c) => !seen.has(c.claimId));
    if (fresh.length === 0) return;

    const alloc = allocateSlots(campaign.reserved, campaign.cap, fresh.length);
    const granted = fresh.slice(0, alloc.granted);
    const soldOut = fresh.slice(alloc.granted);
    await ctx.query(
      `UPDATE pass_campaign SET reserved = $2, sold_out = sold_out + $3,
              progress_at = CASE WHEN reserved = sent_watermark AND $2 > reserved THEN $4 ELSE progress_at END
        WHERE campaign_id = $1`,
      [campaignId, alloc.reservedAfter, soldOut.length, ctx.now],
    );
    const reservedAt = ctx.now.toISOString();
    if (granted.length > 0) {
      const passIds = granted.map(() => randomUUID());
      const slots = granted.map((_, i) => alloc.firstSlot + i);
      await ctx.query(
        `INSERT INTO pass (pass_id, campaign_id, slot, claim_id, event_id, account_id, claimed_at, reserved_at, notice_deadline, trace_parent)
         SELECT t.pass_id, $1, t.slot, t.claim_id, t.event_id, t.account_id, t.claimed_at, $8, t.claimed_at + ($9 || ' seconds')::interval, t.trace_parent
           FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $10::text[])
             AS t (pass_id, slot, claim_id, event_id, account_id, claimed_at, trace_parent)`,
        [
          campaignId,
          passIds,
          slots,
          granted.map((c) => c.claimId),
          granted.map((c) => c.m.value.eventId),
          granted.map((c) => c.m.value.accountId),
          granted.map((c) => c.m.value.requestedAt),
          ctx.now,
          String(campaign.delay_notice_after_seconds),
          // The claim's trace, continued by the pass's sent event and delay notice.
          granted.map((c) => traceparentOf(c.m.trace)),
        ],
      );
      granted.forEach((c, i) => {
        const claimedAt = new Date(c.m.value.requestedAt);
        ctx.emit(
          'passReserved',
          {
            passId: passIds[i] ?? '',
            accountId: c.m.value.accountId,
            claimId: c.claimId,
            eventId: c.m.value.eventId,
            campaignId,
            slot: slots[i] ?? 0,
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
          passId: passIds[i] ?? '',
          noticeDeadline: new Date(Date.parse(c.m.value.requestedAt) + campaign.delay_notice_after_seconds * 1000),
        })),
      );
    }
    if (soldOut.length > 0) {
      await ctx.query(
        `INSERT INTO pass_sold_out (claim_id, campaign_id, account_id, event_id, decided_at)
         SELECT t.*, $2::timestamptz FROM unnest($1::text[], $3::text[], $4::text[], $5::text[]) AS t (claim_id, campaign_id, account_id, event_id)`,
        [
          soldOut.map((c) => c.claimId),
          ctx.now,
          soldOut.map(() => campaignId),
          soldOut.map((c) => c.m.value.accountId),
          soldOut.map((c) => c.m.value.eventId),
        ],
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
