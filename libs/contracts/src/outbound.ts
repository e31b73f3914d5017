import { z } from 'zod';
import { campaignDefinition, campaignRewards } from './campaign';
import { externalId, isoInstant, won } from './primitives';

// Outbound schemas describe what the platform emits. Consumers of these topics (our own
// services included) accept extra fields, since adding fields is allowed by the contract.

export const claimRejectionReasons = [
  'DUPLICATE',
  // one gift per person (campaign option onePerPerson): another account with the same phone number was accepted
  'DUPLICATE_PERSON',
  'NOT_TALK_LINKED',
  'OVERSEAS_NUMBER',
  'INVALID_PHONE',
  'CAMPAIGN_NOT_STARTED',
  'CAMPAIGN_CLOSED',
  'UNKNOWN_CAMPAIGN',
  'INVALID',
] as const;

export const claimDecided = z.object({
  claimId: externalId,
  eventId: externalId,
  campaignId: externalId,
  accountId: externalId,
  status: z.enum(['ACCEPTED', 'REJECTED']),
  reason: z.enum(claimRejectionReasons).optional(),
  decidedAt: isoInstant,
  /** When the user tapped; the pass delay clock runs from here. */
  requestedAt: isoInstant,
  makersMember: z.boolean(),
  /** The campaign's rewards at decision time (ACCEPTED only). */
  rewards: campaignRewards.optional(),
});

export const campaignDefined = z.object({
  definedAt: isoInstant,
  campaign: campaignDefinition,
});

export const entitlementGranted = z.object({
  entitlementId: externalId,
  claimId: externalId,
  eventId: externalId,
  accountId: externalId,
  campaignId: externalId,
  emoticonId: externalId,
  validityDays: z.number().int().positive().nullable(),
  grantedAt: isoInstant,
});

export const entitlementActivated = z.object({
  entitlementId: externalId,
  eventId: externalId,
  accountId: externalId,
  emoticonId: externalId,
  activatedAt: isoInstant,
  expiresAt: isoInstant,
});

export const entitlementExpired = z.object({
  entitlementId: externalId,
  accountId: externalId,
  emoticonId: externalId,
  expiredAt: isoInstant,
});

/** A time-limited pack expires soon (campaign `remindBeforeExpirySeconds`); once per entitlement. */
export const entitlementExpiringSoon = z.object({
  entitlementId: externalId,
  accountId: externalId,
  campaignId: externalId,
  emoticonId: externalId,
  expiresAt: isoInstant,
  remindedAt: isoInstant,
});

export const downloadRejected = z.object({
  eventId: externalId,
  accountId: externalId,
  emoticonId: externalId,
  reason: z.enum(['EXPIRED', 'NOT_GRANTED', 'INVALID']),
  decidedAt: isoInstant,
});

export const couponIssued = z.object({
  couponId: externalId,
  accountId: externalId,
  claimId: externalId,
  eventId: externalId,
  campaignId: externalId,
  amountWon: won,
  issuedAt: isoInstant,
  expiresAt: isoInstant,
});

export const couponRedemptionRejectionReasons = [
  'UNKNOWN_COUPON',
  'NOT_OWNER',
  'ALREADY_USED',
  'EXPIRED',
  'MIN_PAYMENT',
  'INVALID',
] as const;

export const couponRedemptionDecided = z.object({
  eventId: externalId,
  couponId: externalId,
  orderId: externalId,
  accountId: externalId,
  status: z.enum(['REDEEMED', 'REJECTED']),
  reason: z.enum(couponRedemptionRejectionReasons).optional(),
  paidAmountWon: won.nullable(),
  discountWon: won,
  decidedAt: isoInstant,
});

export const couponExpired = z.object({
  couponId: externalId,
  accountId: externalId,
  amountWon: won,
  expiredAt: isoInstant,
});

/** An unredeemed coupon expires soon (campaign `remindBeforeExpirySeconds`); once per coupon. */
export const couponExpiringSoon = z.object({
  couponId: externalId,
  accountId: externalId,
  campaignId: externalId,
  amountWon: won,
  expiresAt: isoInstant,
  remindedAt: isoInstant,
});

export const passReserved = z.object({
  passId: externalId,
  accountId: externalId,
  claimId: externalId,
  eventId: externalId,
  campaignId: externalId,
  slot: z.number().int().positive(),
  claimedAt: isoInstant,
  reservedAt: isoInstant,
});

export const passSoldOut = z.object({
  accountId: externalId,
  claimId: externalId,
  eventId: externalId,
  campaignId: externalId,
  cap: z.number().int().nonnegative(),
  decidedAt: isoInstant,
});

export const passDelayNotice = z.object({
  passId: externalId,
  accountId: externalId,
  campaignId: externalId,
  slot: z.number().int().positive(),
  claimedAt: isoInstant,
  estimatedDeliveryAt: isoInstant,
  noticedAt: isoInstant,
});

export const passSent = z.object({
  passId: externalId,
  accountId: externalId,
  campaignId: externalId,
  slot: z.number().int().positive(),
  sentAt: isoInstant,
  registerBy: isoInstant,
});

export const passRegistrationDecided = z.object({
  eventId: externalId,
  passId: externalId,
  accountId: externalId,
  status: z.enum(['REGISTERED', 'REJECTED']),
  reason: z.enum(['REGISTRATION_EXPIRED', 'NOT_SENT_YET', 'NOT_OWNER', 'UNKNOWN_PASS']).optional(),
  validUntil: isoInstant.optional(),
  decidedAt: isoInstant,
});

export const passExpired = z.object({
  passId: externalId,
  accountId: externalId,
  campaignId: externalId,
  registerBy: isoInstant,
  expiredAt: isoInstant,
});

/** A sent, unregistered pass must be registered soon (campaign `remindBeforeRegistrationEndsSeconds`); once per pass. */
export const passRegistrationExpiringSoon = z.object({
  passId: externalId,
  accountId: externalId,
  campaignId: externalId,
  registerBy: isoInstant,
  remindedAt: isoInstant,
});

/** The grants an ACCEPTED claim is expected to have, by the service that makes them. */
export const claimGrantKinds = ['EMOTICONS', 'COUPONS', 'PASS'] as const;

/**
 * The reconciler (app-api) found an ACCEPTED claim whose expected grants are still missing after its
 * bound: the claims service publishes the stored decision again, and the granting services, which
 * are idempotent by claim, fill in only what is missing.
 */
export const claimRedriveRequested = z.object({
  claimId: externalId,
  campaignId: externalId,
  accountId: externalId,
  missing: z.array(z.enum(claimGrantKinds)).min(1),
  /** 1 for the first re-drive of this claim. */
  attempt: z.number().int().positive(),
  requestedAt: isoInstant,
});

export const reliefRejectionReasons = [
  'DUPLICATE_REPORT',
  'INVALID_AMOUNT',
  'UNKNOWN_CAMPAIGN',
  'NO_RELIEF',
  // raw facts the campaign's assessment model cannot use
  'NO_ASSESSMENT_MODEL',
  'MISSING_FACTS',
  'UNKNOWN_SERVICE',
  'UNKNOWN_CATEGORY',
  'INVALID_FACTS',
  'IMPLAUSIBLE_FACTS',
] as const;

const reliefTierName = z.enum(['T30K', 'T50K', 'REVIEW']);

/**
 * Why a report got its answer, so a merchant asking "why 30,000?" can be shown the arithmetic:
 * what was reported, the model version and each factor applied (with the running amount after it,
 * floored to whole won at every step), the assessed loss, the tiers and the tier it fell in.
 */
export const reliefExplanation = z.object({
  /** UPSTREAM: the report carried assessedLossWon; MODEL: assessed here from the report's facts. */
  method: z.enum(['UPSTREAM', 'MODEL']),
  /** The campaign's assessment model version (MODEL only). */
  modelVersion: z.string().nullable(),
  /** As reported, unvalidated (so a rejection can show what was wrong). */
  inputs: z.object({
    assessedLossWon: z.number().nullable(),
    service: z.string().nullable(),
    category: z.string().nullable(),
    revenueLostWon: z.number().nullable(),
    usualDailyRevenueWon: z.number().nullable(),
    outageHours: z.number().nullable(),
  }),
  /** REVENUE_LOST as reported, or usual daily revenue x outage hours / 24. */
  basis: z.enum(['REVENUE_LOST', 'DAILY_REVENUE_X_OUTAGE_HOURS']).nullable(),
  grossLossWon: won.nullable(),
  factors: z.array(
    z.object({
      factor: z.enum(['OPERATING_MARGIN', 'SUBSTITUTE', 'KAKAO_SHARE']),
      /** The table entry applied: category, `service:substitute level`, service. */
      key: z.string(),
      bp: z.number().int(),
      /** The amount after this factor, floored to whole won. */
      resultWon: won,
    }),
  ),
  rounding: z.string(),
  assessedLossWon: won.nullable(),
  tiers: z.array(z.object({ tier: z.string(), maxLossWon: won, amountWon: won })),
  tier: reliefTierName.nullable(),
  amountWon: won,
  reason: z.enum(reliefRejectionReasons).optional(),
  /** Human-readable detail of a rejection (which figure, which bound). */
  detail: z.string().optional(),
});

export type ReliefExplanation = z.infer<typeof reliefExplanation>;
export type ReliefRejection = (typeof reliefRejectionReasons)[number];

export const reliefDecided = z.object({
  eventId: externalId,
  merchantId: externalId,
  campaignId: externalId,
  status: z.enum(['DECIDED', 'REJECTED']),
  tier: reliefTierName.optional(),
  amountWon: won,
  reason: z.enum(reliefRejectionReasons).optional(),
  /** Absent only on answers given before explanations existed. */
  explanation: reliefExplanation.optional(),
  decidedAt: isoInstant,
});

export const reliefReviewApplied = z.object({
  eventId: externalId,
  merchantId: externalId,
  status: z.enum(['APPROVED', 'DECLINED', 'REJECTED']),
  /** EVIDENCE_REQUIRED: an approval named no evidence, or the case has none; UNKNOWN_EVIDENCE: it named a document the case does not have. */
  reason: z.enum(['NOT_IN_REVIEW', 'ALREADY_DECIDED', 'INVALID_AMOUNT', 'EVIDENCE_REQUIRED', 'UNKNOWN_EVIDENCE']).optional(),
  additionalAmountWon: won,
  totalAmountWon: won,
  /** The documents the applied decision relied on (APPROVED/DECLINED). */
  evidenceIds: z.array(z.string()).optional(),
  decidedAt: isoInstant,
});

export const reliefEvidenceDecided = z.object({
  eventId: externalId,
  merchantId: externalId,
  campaignId: externalId,
  /** RECORDED: attached to the merchant's case (or held for its report); REJECTED: nothing recorded. */
  status: z.enum(['RECORDED', 'REJECTED']),
  reason: z.enum(['NOT_IN_REVIEW', 'ALREADY_DECIDED', 'EVIDENCE_CONFLICT']).optional(),
  /** Every document the case holds after this submission (RECORDED), by documentId. */
  evidenceIds: z.array(z.string()),
  detail: z.string().optional(),
  decidedAt: isoInstant,
});
