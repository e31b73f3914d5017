import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignDefined, CampaignDefinition, CampaignRewards, definitionReplacesSql } from '@platform/contracts';
import { TxContext } from '@platform/messaging';

export interface RollupRow {
  measure: 'EMOTICON_GRANTED' | 'PASS_RESERVED' | 'PASS_SENT' | 'COUPON_ISSUED';
  item: string;
  day: string;
  n: string;
  face: string;
}

export interface OutcomeRow {
  measure: 'COUPON_REDEEMED' | 'COUPON_EXPIRED';
  face: string;
  day: string;
  n: string;
}

/**
 * Counts per measure, item and KST day, kept by the trigger on the timeline's stored events
 * (migration CostRollup1765000006700): each event is stored once by its natural key (entitlement,
 * coupon, pass, redemption request) and counted when stored, so redelivery and replays change nothing.
 */
const ROLLUP_SQL = `
  SELECT measure, item, to_char(day, 'YYYY-MM-DD') AS day, sum(events) AS n, sum(face_won) AS face
    FROM cost_rollup WHERE campaign_id = $1 GROUP BY measure, item, day`;

/**
 * Coupons redeemed (first REDEEMED answer: one coupon is one cost however many answers name it) and
 * expired unredeemed, per face value and KST day. Outcomes whose coupon's issue was stored at the same
 * moment are resolved here through the issue.
 */
const OUTCOMES_SQL = `
  WITH o AS (
         SELECT coupon_id, outcome, at, face_won FROM cost_coupon_outcome WHERE campaign_id = $1
         UNION ALL
         SELECT o.coupon_id, o.outcome, o.at, (i.payload->>'amountWon')::bigint
           FROM cost_coupon_outcome o JOIN timeline_event i ON i.topic = 'couponIssued' AND i.natural_key = o.coupon_id
          WHERE o.campaign_id IS NULL AND i.payload->>'campaignId' = $1),
       per_coupon AS (
         SELECT face_won, min(at) FILTER (WHERE outcome = 'REDEEMED') AS redeemed_at, min(at) FILTER (WHERE outcome = 'EXPIRED') AS expired_at
           FROM o GROUP BY coupon_id, face_won)
  SELECT CASE WHEN redeemed_at IS NOT NULL THEN 'COUPON_REDEEMED' ELSE 'COUPON_EXPIRED' END AS measure, face_won AS face,
         to_char(coalesce(redeemed_at, expired_at) AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD') AS day, count(*) AS n
    FROM per_coupon GROUP BY 1, 2, 3`;

/** What the cost of one campaign is computed from, read in one snapshot. */
export interface CostRead {
  /** The campaign's announcement, when this service read it. */
  defined: CampaignDefinition | undefined;
  rewards: CampaignRewards | null;
  rollup: RollupRow[];
  outcomes: OutcomeRow[];
}

/** The cost ledger's tables: campaign definitions, and the counts kept from the timeline's events. */
@Injectable()
export class CostRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Stores campaign definitions, at most one per campaign (newestDefinitions); a definition at
   * least as new as the stored one replaces it (definitionReplacesSql), an older one changes nothing.
   */
  async saveDefinitions(ctx: TxContext, ds: CampaignDefined[]): Promise<void> {
    await ctx.query(
      `INSERT INTO cost_campaign (campaign_id, definition, defined_at, recorded_at)
       SELECT t.*, $4::timestamptz FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS t
       ON CONFLICT (campaign_id) DO UPDATE SET definition = EXCLUDED.definition, defined_at = EXCLUDED.defined_at,
                                               recorded_at = EXCLUDED.recorded_at
        WHERE ${definitionReplacesSql('cost_campaign')}`,
      [ds.map((d) => d.campaign.campaignId), ds.map((d) => JSON.stringify(d.campaign)), ds.map((d) => d.definedAt), ctx.now],
    );
  }

  /**
   * The campaign's definition (or, when this service never read it, the rewards of its newest
   * decision) and its counts; null when neither reached this service.
   */
  async read(campaignId: string): Promise<CostRead | null> {
    // One snapshot, so the definition, the items and the days agree with each other.
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const [defined] = (await m.query(`SELECT definition FROM cost_campaign WHERE campaign_id = $1`, [campaignId])) as {
        definition: CampaignDefinition;
      }[];
      let fromDecision: { rewards: CampaignRewards | null } | undefined;
      if (!defined) {
        [fromDecision] = (await m.query(
          `SELECT rewards FROM claim_decision WHERE campaign_id = $1 ORDER BY rewards IS NOT NULL DESC, decided_at DESC LIMIT 1`,
          [campaignId],
        )) as { rewards: CampaignRewards | null }[];
        if (!fromDecision) return null;
      }
      const rollup = (await m.query(ROLLUP_SQL, [campaignId])) as RollupRow[];
      const outcomes = (await m.query(OUTCOMES_SQL, [campaignId])) as OutcomeRow[];
      return { defined: defined?.definition, rewards: defined?.definition.rewards ?? fromDecision?.rewards ?? null, rollup, outcomes };
    });
  }
}
