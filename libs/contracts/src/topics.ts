import { z } from 'zod';
import * as inbound from './inbound';
import * as ops from './ops';
import * as outbound from './outbound';

/**
 * Every topic of the platform, in one place: name (with version), partition key, value schema,
 * planned partition count. Nothing else in the repo spells a topic name.
 */
export interface TopicSpec<S extends z.ZodType = z.ZodType, N extends string = string> {
  /** Kept as a literal type (`'coupon.issued.v1'`), so names and payloads can be matched at compile time. */
  readonly name: N;
  readonly schema: S;
  /** Partition key: keeps one account's (or merchant's) events in order. */
  readonly key: (value: z.infer<S>) => string;
  readonly partitions: number;
  /** inbound: published by other systems; outbound: published by the platform. */
  readonly direction: 'inbound' | 'outbound';
  /** Consumed by a platform service, so it has a dead-letter topic. */
  readonly consumed: boolean;
  readonly summary: string;
}

function topic<S extends z.ZodType, const N extends string>(spec: TopicSpec<S, N>): TopicSpec<S, N> {
  return spec;
}

/** Local default for keyed topics; a deployment overrides it (PartitionPlan, TOPIC_PARTITIONS). */
export const DEFAULT_TOPIC_PARTITIONS = 6;
const P = DEFAULT_TOPIC_PARTITIONS;

export const Topics = {
  claimRequested: topic({
    name: 'compensation.claim.requested.v1',
    schema: inbound.claimRequested,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: 'A user tapped "receive all three at once" (published by the app backend).',
  }),
  emoticonDownloaded: topic({
    name: 'emoticon.downloaded.v1',
    schema: inbound.emoticonDownloaded,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: 'The user downloaded an emoticon pack in the chat keyboard tab.',
  }),
  couponRedemptionRequested: topic({
    name: 'coupon.redemption.requested.v1',
    schema: inbound.couponRedemptionRequested,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: "The shop's checkout asks to apply a coupon to an order.",
  }),
  passRegistrationRequested: topic({
    name: 'talkdrawer.pass.registration.requested.v1',
    schema: inbound.passRegistrationRequested,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: 'The user registers a received Talk Drawer Plus pass.',
  }),
  merchantDamageReported: topic({
    name: 'merchant.damage.reported.v1',
    schema: inbound.merchantDamageReported,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary:
      'A small business reported damage: an upstream assessed sales loss, or raw facts for the campaign assessment model, and optionally proof of damage.',
  }),
  merchantReviewDecided: topic({
    name: 'merchant.relief.review.decided.v1',
    schema: inbound.merchantReviewDecided,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: 'The relief committee decided a merchant under review.',
  }),
  merchantEvidenceSubmitted: topic({
    name: 'merchant.damage.evidence.submitted.v1',
    schema: inbound.merchantEvidenceSubmitted,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'inbound',
    consumed: true,
    summary: 'A merchant attached proof of damage (document ids and SHA-256 hashes, never the documents) to its relief case.',
  }),

  claimDecided: topic({
    name: 'compensation.claim.decided.v1',
    schema: outbound.claimDecided,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'Every claim event is decided exactly once: ACCEPTED, or REJECTED with a reason.',
  }),
  campaignDefined: topic({
    name: 'compensation.campaign.defined.v1',
    schema: outbound.campaignDefined,
    key: (v) => v.campaign.campaignId,
    partitions: 1,
    direction: 'outbound',
    consumed: true,
    summary:
      'A campaign definition (window, rewards, relief tiers), published when ops create one. Consumers apply it by one rule (newestDefinitions): the latest definedAt wins, a tie goes to the later in the log.',
  }),
  entitlementGranted: topic({
    name: 'emoticon.entitlement.granted.v1',
    schema: outbound.entitlementGranted,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An emoticon pack was granted to an account (three per accepted claim by default).',
  }),
  entitlementActivated: topic({
    name: 'emoticon.entitlement.activated.v1',
    schema: outbound.entitlementActivated,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: "A time-limited pack's clock started at its first download (expiresAt set).",
  }),
  entitlementExpired: topic({
    name: 'emoticon.entitlement.expired.v1',
    schema: outbound.entitlementExpired,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A time-limited pack reached expiresAt.',
  }),
  entitlementExpiringSoon: topic({
    name: 'emoticon.entitlement.expiring-soon.v1',
    schema: outbound.entitlementExpiringSoon,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A time-limited emoticon pack expires soon: a reminder, once, a campaign-set time before expiresAt.',
  }),
  downloadRejected: topic({
    name: 'emoticon.download.rejected.v1',
    schema: outbound.downloadRejected,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: false,
    summary: 'A download event was refused (pack expired, or never granted).',
  }),
  couponIssued: topic({
    name: 'coupon.issued.v1',
    schema: outbound.couponIssued,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A Kakao Makers coupon was issued to a member.',
  }),
  couponRedemptionDecided: topic({
    name: 'coupon.redemption.decided.v1',
    schema: outbound.couponRedemptionDecided,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A redemption request was REDEEMED or REJECTED with a reason.',
  }),
  couponExpired: topic({
    name: 'coupon.expired.v1',
    schema: outbound.couponExpired,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An unused coupon passed expiresAt.',
  }),
  couponExpiringSoon: topic({
    name: 'coupon.expiring-soon.v1',
    schema: outbound.couponExpiringSoon,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An unused coupon expires soon: a reminder, once, a campaign-set time before expiresAt.',
  }),
  passReserved: topic({
    name: 'talkdrawer.pass.reserved.v1',
    schema: outbound.passReserved,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An accepted claim got a Talk Drawer Plus pass slot (1..cap).',
  }),
  passSoldOut: topic({
    name: 'talkdrawer.pass.sold-out.v1',
    schema: outbound.passSoldOut,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An accepted claim came after the pass cap was reached.',
  }),
  passDelayNotice: topic({
    name: 'talkdrawer.pass.delay-notice.v1',
    schema: outbound.passDelayNotice,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A pass will be delivered later than claim + threshold (72 h by default); emitted once, beforehand.',
  }),
  passSent: topic({
    name: 'talkdrawer.pass.sent.v1',
    schema: outbound.passSent,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A pass was delivered through the Talk Drawer channel.',
  }),
  passRegistrationDecided: topic({
    name: 'talkdrawer.pass.registration.decided.v1',
    schema: outbound.passRegistrationDecided,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A registration request was REGISTERED or REJECTED with a reason.',
  }),
  passExpired: topic({
    name: 'talkdrawer.pass.expired.v1',
    schema: outbound.passExpired,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A sent pass was not registered by registerBy.',
  }),
  passRegistrationExpiringSoon: topic({
    name: 'talkdrawer.pass.registration.expiring-soon.v1',
    schema: outbound.passRegistrationExpiringSoon,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'A sent pass is still unregistered close to registerBy: a reminder, once, a campaign-set time before.',
  }),
  claimRedriveRequested: topic({
    name: 'compensation.claim.redrive.requested.v1',
    schema: outbound.claimRedriveRequested,
    key: (v) => v.accountId,
    partitions: P,
    direction: 'outbound',
    consumed: true,
    summary: 'An accepted claim still misses expected grants after its bound: the claims service publishes its decision again.',
  }),
  reliefDecided: topic({
    name: 'merchant.relief.decided.v1',
    schema: outbound.reliefDecided,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'outbound',
    consumed: false,
    summary: 'A damage report was decided: tier T30K, T50K or REVIEW, or rejected with a reason.',
  }),
  reliefReviewApplied: topic({
    name: 'merchant.relief.review.applied.v1',
    schema: outbound.reliefReviewApplied,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'outbound',
    consumed: false,
    summary: 'A committee decision was applied to a merchant in review, or rejected with a reason.',
  }),
  reliefEvidenceDecided: topic({
    name: 'merchant.relief.evidence.decided.v1',
    schema: outbound.reliefEvidenceDecided,
    key: (v) => v.merchantId,
    partitions: P,
    direction: 'outbound',
    consumed: false,
    summary: 'A proof-of-damage submission was RECORDED on the merchant case, or REJECTED with a reason.',
  }),
  // One audit topic per acting service, so each stays the only writer of its own (see ownership.ts).
  claimsOpsAudited: topic({
    name: 'compensation.ops.audited.v1',
    schema: ops.opsActionAudited,
    key: (v) => v.target,
    partitions: 1,
    direction: 'outbound',
    consumed: false,
    summary: 'An ops action on the claims service (campaign creation): who, what, when, from where.',
  }),
  passesOpsAudited: topic({
    name: 'talkdrawer.ops.audited.v1',
    schema: ops.opsActionAudited,
    key: (v) => v.target,
    partitions: 1,
    direction: 'outbound',
    consumed: false,
    summary: 'An ops action on pass dispatch (pause, resume, send rate): who, what, when, from where.',
  }),
} as const;

export type TopicKey = keyof typeof Topics;
export type TopicName = (typeof Topics)[TopicKey]['name'];
/** The payload type of a topic, derived from its schema. */
export type PayloadOf<K extends TopicKey> = z.infer<(typeof Topics)[K]['schema']>;
/** Topic name to payload: a coupon payload on the claims topic fails to compile. */
export type PayloadByName = { [K in TopicKey as (typeof Topics)[K]['name']]: PayloadOf<K> };

export const DLQ_SUFFIX = '.dlq';
export const DLQ_PARTITIONS = 3;

export function dlqName(topicName: string): string {
  return `${topicName}${DLQ_SUFFIX}`;
}

export const allTopicSpecs: readonly TopicSpec[] = Object.values(Topics) as readonly TopicSpec[];

export function topicSpecByName(name: string): TopicSpec | undefined {
  return allTopicSpecs.find((t) => t.name === name);
}

/**
 * A deployment's partition counts. Partitions bound how many replicas of a consuming service share
 * the work, so they are deployment configuration (6 locally, e.g. 48 in production), not a constant.
 */
export interface PartitionPlan {
  /** Replaces the default of every keyed topic planned with more than one partition. */
  readonly keyed?: number;
  /** Partitions of each dead-letter topic (default DLQ_PARTITIONS). */
  readonly dlq?: number;
}

/** Partitions of a topic under a plan. Single-partition topics (campaign definitions, read in order by everyone) stay single. */
export function partitionsFor(spec: TopicSpec, plan: PartitionPlan = {}): number {
  return spec.partitions > 1 && plan.keyed !== undefined ? plan.keyed : spec.partitions;
}

/** Every topic to create, dead-letter topics included, with planned partition counts. */
export function plannedTopics(plan: PartitionPlan = {}): { name: string; partitions: number }[] {
  const out: { name: string; partitions: number }[] = [];
  for (const t of allTopicSpecs) {
    out.push({ name: t.name, partitions: partitionsFor(t, plan) });
    if (t.consumed) out.push({ name: dlqName(t.name), partitions: plan.dlq ?? DLQ_PARTITIONS });
  }
  return out;
}

/** `<domain>.<entity>[.<sub>].<event>.v<N>`: lower-case words separated by dots, kebab within. */
export const TOPIC_NAME_GRAMMAR = /^[a-z]+(\.[a-z]+(-[a-z]+)*){1,4}\.v[1-9][0-9]*$/;
