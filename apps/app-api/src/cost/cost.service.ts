import { Injectable } from '@nestjs/common';
import { Topics } from '@platform/contracts';
import { MessagingRuntime } from '@platform/messaging';
import { CostFlow, CostLedger, costLedger } from './cost-ledger';
import { CostRepository, OutcomeRow, RollupRow } from './cost.repository';

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
    private readonly costs: CostRepository,
    private readonly messaging: MessagingRuntime,
  ) {}

  async cost(campaignId: string): Promise<CampaignCost | null> {
    const read = await this.costs.read(campaignId);
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
