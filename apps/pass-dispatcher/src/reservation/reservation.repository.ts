import { Injectable } from '@nestjs/common';
import { PassReward } from '@platform/contracts';
import { TxContext } from '@platform/messaging';

/** A campaign's counter and threshold, read under its row lock. */
export interface LockedCampaign {
  cap: number;
  reserved: number;
  delayNoticeAfterSeconds: number;
}

/** A pass to insert: its slot and the claim it answers. */
export interface NewPass {
  passId: string;
  slot: number;
  claimId: string;
  eventId: string;
  accountId: string;
  /** The claim's requestedAt (ISO). */
  claimedAt: string;
  /** The claim's trace, continued by the pass's sent event and delay notice. */
  traceParent: string | null;
}

export interface SoldOutClaim {
  claimId: string;
  accountId: string;
  eventId: string;
}

/**
 * The reservation's statements on `pass_campaign` (terms, the slot counter), `pass` (new passes)
 * and `pass_sold_out`, all in the consumer's transaction: the counter row is locked first, so
 * every check after it sees what other transactions committed.
 */
@Injectable()
export class ReservationRepository {
  /** Stores campaigns' terms; the first stored stay (campaigns are immutable). `ids` in id order, like the row locks. */
  async defineCampaigns(ctx: TxContext, ids: string[], terms: PassReward[]): Promise<void> {
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

  /** Locks the campaign's counter row (FOR UPDATE) for this transaction; undefined for an unknown campaign. */
  async lockCampaign(ctx: TxContext, campaignId: string): Promise<LockedCampaign | undefined> {
    const [campaign] = await ctx.query<{ cap: number; reserved: number; delay_notice_after_seconds: number }>(
      `SELECT cap, reserved, delay_notice_after_seconds FROM pass_campaign WHERE campaign_id = $1 FOR UPDATE`,
      [campaignId],
    );
    return campaign && { cap: campaign.cap, reserved: campaign.reserved, delayNoticeAfterSeconds: campaign.delay_notice_after_seconds };
  }

  /** The claims of `claimIds` already answered (a pass or sold out). */
  async decidedClaims(ctx: TxContext, claimIds: string[]): Promise<Set<string>> {
    const known = await ctx.query<{ claim_id: string }>(
      `SELECT claim_id FROM pass WHERE claim_id = ANY($1) UNION ALL SELECT claim_id FROM pass_sold_out WHERE claim_id = ANY($1)`,
      [claimIds],
    );
    return new Set(known.map((k) => k.claim_id));
  }

  /** Moves the counter to `reservedAfter` and counts `soldOut` more; a queue that was empty starts waiting now. */
  async advance(ctx: TxContext, campaignId: string, reservedAfter: number, soldOut: number): Promise<void> {
    await ctx.query(
      `UPDATE pass_campaign SET reserved = $2, sold_out = sold_out + $3,
              progress_at = CASE WHEN reserved = sent_watermark AND $2 > reserved THEN $4 ELSE progress_at END
        WHERE campaign_id = $1`,
      [campaignId, reservedAfter, soldOut, ctx.now],
    );
  }

  /** Inserts the passes, reserved now, each due a notice `delayNoticeAfterSeconds` after its claim. */
  async insertPasses(ctx: TxContext, campaignId: string, passes: NewPass[], delayNoticeAfterSeconds: number): Promise<void> {
    await ctx.query(
      `INSERT INTO pass (pass_id, campaign_id, slot, claim_id, event_id, account_id, claimed_at, reserved_at, notice_deadline, trace_parent)
         SELECT t.pass_id, $1, t.slot, t.claim_id, t.event_id, t.account_id, t.claimed_at, $8, t.claimed_at + ($9 || ' seconds')::interval, t.trace_parent
           FROM unnest($2::uuid[], $3::int[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $10::text[])
             AS t (pass_id, slot, claim_id, event_id, account_id, claimed_at, trace_parent)`,
      [
        campaignId,
        passes.map((p) => p.passId),
        passes.map((p) => p.slot),
        passes.map((p) => p.claimId),
        passes.map((p) => p.eventId),
        passes.map((p) => p.accountId),
        passes.map((p) => p.claimedAt),
        ctx.now,
        String(delayNoticeAfterSeconds),
        passes.map((p) => p.traceParent),
      ],
    );
  }

  /** Records the claims past the cap, decided now. */
  async insertSoldOut(ctx: TxContext, campaignId: string, claims: SoldOutClaim[]): Promise<void> {
    await ctx.query(
      `INSERT INTO pass_sold_out (claim_id, campaign_id, account_id, event_id, decided_at)
         SELECT t.*, $2::timestamptz FROM unnest($1::text[], $3::text[], $4::text[], $5::text[]) AS t (claim_id, campaign_id, account_id, event_id)`,
      [claims.map((c) => c.claimId), ctx.now, claims.map(() => campaignId), claims.map((c) => c.accountId), claims.map((c) => c.eventId)],
    );
  }
}
