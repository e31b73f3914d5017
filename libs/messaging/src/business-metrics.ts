import { Counter, metrics } from '@opentelemetry/api';
import { parseDlqReason, PayloadOf, TopicKey } from '@platform/contracts';
import { DLQ_HEADERS, OutgoingRecord } from './records';

/** An event a transaction emitted, as the handler gave it (counted once its transaction committed). */
export interface EmittedEvent {
  topic: TopicKey;
  payload: unknown;
}

interface BusinessCounters {
  claimsDecided: Counter;
  grants: Counter;
  delayNotices: Counter;
  expirations: Counter;
  redemptions: Counter;
  relief: Counter;
  deadLettered: Counter;
}

let counters: BusinessCounters | null = null;

function instruments(): BusinessCounters {
  if (counters) return counters;
  const meter = metrics.getMeter('platform-business');
  counters = {
    claimsDecided: meter.createCounter('heartpack_claims_decided', {
      description: 'Claims decided (compensation.claim.decided.v1 committed), by campaign, status and reason',
    }),
    grants: meter.createCounter('heartpack_grants', {
      description: 'Rewards granted, by campaign and kind (emoticon_entitlement, coupon, pass_reserved, pass_sent, pass_sold_out)',
    }),
    delayNotices: meter.createCounter('heartpack_pass_delay_notices', { description: 'Pass delay notices emitted (R8), by campaign' }),
    expirations: meter.createCounter('heartpack_expirations', {
      description: 'Unused rewards expired by the sweeps, by kind (emoticon_entitlement, coupon, pass)',
    }),
    redemptions: meter.createCounter('heartpack_coupon_redemptions', { description: 'Coupon redemptions decided, by status and reason' }),
    relief: meter.createCounter('heartpack_relief_decisions', { description: 'Merchant relief decisions, by campaign, status and tier' }),
    deadLettered: meter.createCounter('messaging_dead_lettered_by_reason', {
      description: 'Messages parked in a DLQ, by source topic and reason code (the dlq-reason code)',
    }),
  };
  return counters;
}

/**
 * Campaign ids are data: a label per campaign is fine for the handful a platform runs, but a
 * runaway producer inventing ids must not blow up the series count. Past the bound: `other`.
 */
const MAX_CAMPAIGNS = 50;
const campaigns = new Set<string>();
function campaign(id: unknown): string {
  const s = typeof id === 'string' ? id : 'unknown';
  if (campaigns.has(s)) return s;
  if (campaigns.size >= MAX_CAMPAIGNS) return 'other';
  campaigns.add(s);
  return s;
}

type Counted = { [K in TopicKey]?: (p: PayloadOf<K>, c: BusinessCounters) => void };

// Labels are closed sets from the contract (status, reason and tier enums) plus the bounded campaign.
const COUNTED: Counted = {
  claimDecided: (p, c) => c.claimsDecided.add(1, { campaign: campaign(p.campaignId), status: p.status, reason: p.reason ?? 'none' }),
  entitlementGranted: (p, c) => c.grants.add(1, { campaign: campaign(p.campaignId), kind: 'emoticon_entitlement' }),
  couponIssued: (p, c) => c.grants.add(1, { campaign: campaign(p.campaignId), kind: 'coupon' }),
  passReserved: (p, c) => c.grants.add(1, { campaign: campaign(p.campaignId), kind: 'pass_reserved' }),
  passSent: (p, c) => c.grants.add(1, { campaign: campaign(p.campaignId), kind: 'pass_sent' }),
  passSoldOut: (p, c) => c.grants.add(1, { campaign: campaign(p.campaignId), kind: 'pass_sold_out' }),
  passDelayNotice: (p, c) => c.delayNotices.add(1, { campaign: campaign(p.campaignId) }),
  entitlementExpired: (_p, c) => c.expirations.add(1, { kind: 'emoticon_entitlement' }),
  couponExpired: (_p, c) => c.expirations.add(1, { kind: 'coupon' }),
  passExpired: (_p, c) => c.expirations.add(1, { kind: 'pass' }),
  couponRedemptionDecided: (p, c) => c.redemptions.add(1, { status: p.status, reason: p.reason ?? 'none' }),
  reliefDecided: (p, c) => c.relief.add(1, { campaign: campaign(p.campaignId), status: p.status, tier: p.tier ?? 'none' }),
};

/**
 * Counts what a committed transaction emitted and dead-lettered. Called after commit only, so a
 * retried transaction counts once and a rolled-back one not at all.
 */
export function countCommitted(emitted: readonly EmittedEvent[], outgoing: readonly OutgoingRecord[]): void {
  if (emitted.length === 0 && outgoing.length === 0) return;
  const c = instruments();
  for (const e of emitted) (COUNTED[e.topic] as ((p: unknown, c: BusinessCounters) => void) | undefined)?.(e.payload, c);
  for (const r of outgoing) {
    const reason = r.headers[DLQ_HEADERS.reason];
    if (reason === undefined) continue;
    c.deadLettered.add(1, { topic: r.headers[DLQ_HEADERS.sourceTopic] ?? 'unknown', reason: parseDlqReason(reason).code ?? 'UNKNOWN' });
  }
}
