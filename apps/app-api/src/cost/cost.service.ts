import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignDefinition, CampaignRewards, Topics } from '@platform/contracts';
import { MessagingRuntime } from '@platform/messaging';
import { CostFlow, CostLedger, costLedger } from './cost-ledger';

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

interface RollupRow {
  measure: 'EMOTICON_GRANTED' | 'PASS_RESERVED' | 'PASS_SENT' | 'COUPON_ISSUED';
  item: string;
  day: string;
  n: string;
  face: string;
}

interface OutcomeRow {
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
      const rollup = (await m.query(ROLLUP_SQL, [campaignId])) as RollupRow[];
      const outcomes = (await m.query(OUTCOMES_SQL, [campaignId])) as OutcomeRow[];
      return { defined: defined?.definition, rewards: defined?.definition.rewards ?? fromDecision?.rewards ?? null, rollup, outcomes };
    });
    if (!read) return null;
    const flows = costFlows(read.rollup, read.outcomes);
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

/**
 * The fold's flows from the stored counts. Derived: passes reserved and not sent (reserved minus sent:
 * a pass's sending is stored after its reservation, or the difference catches up once it is), and
 * coupons still redeemable (issued minus redeemed minus expired, per face value).
 */
function costFlows(rollup: RollupRow[], outcomes: OutcomeRow[]): CostFlow[] {
  const flows: CostFlow[] = [];
  let reserved = 0;
  let sent = 0;
  const open = new Map<string, { count: number; won: number }>();
  const coupon = (face: string) => {
    let c = open.get(face);
    if (!c) open.set(face, (c = { count: 0, won: 0 }));
    return c;
  };
  for (const r of rollup) {
    const count = Number(r.n);
    const faceValueWon = Number(r.face);
    if (r.measure === 'PASS_RESERVED') {
      reserved += count;
      continue;
    }
    if (r.measure === 'PASS_SENT') sent += count;
    if (r.measure === 'COUPON_ISSUED') {
      const c = coupon(r.item);
      c.count += count;
      c.won += faceValueWon;
    }
    flows.push({ measure: r.measure, item: r.item, day: r.day, count, faceValueWon });
  }
  for (const o of outcomes) {
    const count = Number(o.n);
    const faceValueWon = Number(o.face) * count;
    const c = coupon(String(Number(o.face)));
    c.count -= count;
    c.won -= faceValueWon;
    flows.push({ measure: o.measure, item: String(Number(o.face)), day: o.day, count, faceValueWon });
  }
  if (reserved > sent) flows.push({ measure: 'PASS_RESERVED_UNSENT', item: 'pass', day: '', count: reserved - sent, faceValueWon: 0 });
  for (const [face, c] of open) flows.push({ measure: 'COUPON_OUTSTANDING', item: face, day: '', count: c.count, faceValueWon: c.won });
  return flows;
}
