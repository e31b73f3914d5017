import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignDefinition, CampaignRewards, Topics } from '@platform/contracts';
import { MessagingRuntime } from '@platform/messaging';
import { CostFlow, CostLedger, costLedger, CostMeasure } from './cost-ledger';

export interface CampaignCost extends CostLedger {
  campaignId: string;
  name: string | null;
  /** Days are calendar days in Korea (UTC+9, no daylight saving time). */
  timeZone: 'Asia/Seoul';
  /**
   * Where the budget and unit values come from: the campaign's announcement, or (when this service
   * never read it) the rewards of its newest ACCEPTED decision, which carry unit values but no budget.
   */
  definedBy: 'compensation.campaign.defined.v1' | 'compensation.claim.decided.v1';
  readModel: {
    /** Events on the topics the ledger is built from not yet applied (partitions this instance reads). */
    lagMessages: number;
    servedAt: string;
  };
}

interface FlowRow {
  measure: CostMeasure;
  item: string;
  day: string;
  n: string;
  face: string;
}

/** The KST calendar day of an instant. */
const KST_DAY = (col: string) => `to_char(${col} AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD')`;

/**
 * Counts per measure, item and KST day, from the timeline's stored events (one row per natural key:
 * entitlement, coupon, pass, redemption request), so redelivery and replays change nothing. A coupon
 * counts once however many REDEEMED answers name it; redemptions and expiries reach the campaign
 * through the coupon's issue event, so one whose issue is not in yet counts once it is.
 */
const FLOWS_SQL = `
  WITH issued AS (
         SELECT natural_key AS coupon_id, (payload->>'amountWon')::bigint AS face, occurred_at
           FROM timeline_event WHERE topic = 'couponIssued' AND payload->>'campaignId' = $1),
       redeemed AS (
         SELECT DISTINCT ON (r.payload->>'couponId') r.payload->>'couponId' AS coupon_id, r.occurred_at
           FROM timeline_event r JOIN issued i ON i.coupon_id = r.payload->>'couponId'
          WHERE r.topic = 'couponRedemptionDecided' AND r.payload->>'status' = 'REDEEMED'
          ORDER BY r.payload->>'couponId', r.occurred_at),
       expired AS (
         SELECT e.natural_key AS coupon_id, e.occurred_at
           FROM timeline_event e JOIN issued i ON i.coupon_id = e.natural_key
          WHERE e.topic = 'couponExpired' AND NOT EXISTS (SELECT 1 FROM redeemed r WHERE r.coupon_id = e.natural_key))
  SELECT 'EMOTICON_GRANTED' AS measure, payload->>'emoticonId' AS item, ${KST_DAY('occurred_at')} AS day, count(*) AS n, 0 AS face
    FROM timeline_event WHERE topic = 'entitlementGranted' AND payload->>'campaignId' = $1 GROUP BY 2, 3
  UNION ALL
  SELECT 'PASS_SENT', 'pass', ${KST_DAY('occurred_at')}, count(*), 0
    FROM timeline_event WHERE topic = 'passSent' AND payload->>'campaignId' = $1 GROUP BY 3
  UNION ALL
  SELECT 'PASS_RESERVED_UNSENT', 'pass', ${KST_DAY('p.occurred_at')}, count(*), 0
    FROM timeline_event p
   WHERE p.topic = 'passReserved' AND p.payload->>'campaignId' = $1
     AND NOT EXISTS (SELECT 1 FROM timeline_event s WHERE s.topic = 'passSent' AND s.natural_key = p.natural_key)
   GROUP BY 3
  UNION ALL
  SELECT 'COUPON_ISSUED', face::text, ${KST_DAY('occurred_at')}, count(*), sum(face) FROM issued GROUP BY 2, 3
  UNION ALL
  SELECT 'COUPON_REDEEMED', i.face::text, ${KST_DAY('r.occurred_at')}, count(*), sum(i.face)
    FROM redeemed r JOIN issued i USING (coupon_id) GROUP BY 2, 3
  UNION ALL
  SELECT 'COUPON_EXPIRED', i.face::text, ${KST_DAY('e.occurred_at')}, count(*), sum(i.face)
    FROM expired e JOIN issued i USING (coupon_id) GROUP BY 2, 3
  UNION ALL
  SELECT 'COUPON_OUTSTANDING', i.face::text, ${KST_DAY('i.occurred_at')}, count(*), sum(i.face)
    FROM issued i
   WHERE NOT EXISTS (SELECT 1 FROM redeemed r WHERE r.coupon_id = i.coupon_id)
     AND NOT EXISTS (SELECT 1 FROM expired e WHERE e.coupon_id = i.coupon_id)
   GROUP BY 2, 3`;

/** The topics the ledger's numbers come from (for its lag). */
const LEDGER_TOPICS: ReadonlySet<string> = new Set(
  (
    [
      'campaignDefined',
      'claimDecided',
      'entitlementGranted',
      'couponIssued',
      'couponRedemptionDecided',
      'couponExpired',
      'passReserved',
      'passSent',
    ] as const
  ).map((k) => Topics[k].name),
);

/** What a campaign has cost so far, against its budget, from this service's read model (no call to another service). */
@Injectable()
export class CostService {
  constructor(
    private readonly ds: DataSource,
    private readonly messaging: MessagingRuntime,
  ) {}

  async cost(campaignId: string): Promise<CampaignCost | null> {
    // One snapshot, so the definition, the items and the days agree with each other.
    const read = await this.ds.transaction('REPEATABLE READ', async (m) => {
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
      const flows = (await m.query(FLOWS_SQL, [campaignId])) as FlowRow[];
      return { defined: defined?.definition, rewards: defined?.definition.rewards ?? fromDecision?.rewards ?? null, flows };
    });
    if (!read) return null;
    const flows: CostFlow[] = read.flows.map((r) => ({
      measure: r.measure,
      item: r.item,
      day: r.day,
      count: Number(r.n),
      faceValueWon: Number(r.face),
    }));
    return {
      campaignId,
      name: read.defined?.name ?? null,
      timeZone: 'Asia/Seoul',
      definedBy: read.defined ? Topics.campaignDefined.name : Topics.claimDecided.name,
      ...costLedger(flows, read.rewards, read.defined?.budgetWon ?? null),
      readModel: { lagMessages: this.lag(), servedAt: new Date().toISOString() },
    };
  }

  private lag(): number {
    let n = 0;
    for (const c of this.messaging.consumers)
      for (const [tp, lag] of c.lag) if (LEDGER_TOPICS.has(tp.slice(0, tp.lastIndexOf(':')))) n += lag;
    return n;
  }
}
