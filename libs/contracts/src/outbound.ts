import { z } from 'zod';
import { campaignDefinition, campaignRewards } from './campaign';
import { externalId, isoInstant, won } from './primitives';

// Outbound schemas describe what the platform emits. Consumers of these topics (our own
// services included) accept extra fields, since adding fields is allowed by the contract.

export const claimRejectionReasons = [
  'DUPLICATE',
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

export const reliefDecided = z.object({
  eventId: externalId,
  merchantId: externalId,
  campaignId: externalId,
  status: z.enum(['DECIDED', 'REJECTED']),
  tier: z.enum(['T30K', 'T50K', 'REVIEW']).optional(),
  amountWon: won,
  reason: z.enum(['DUPLICATE_REPORT', 'INVALID_AMOUNT', 'UNKNOWN_CAMPAIGN', 'NO_RELIEF']).optional(),
  decidedAt: isoInstant,
});

export const reliefReviewApplied = z.object({
  eventId: externalId,
  merchantId: externalId,
  status: z.enum(['APPROVED', 'DECLINED', 'REJECTED']),
  reason: z.enum(['NOT_IN_REVIEW', 'ALREADY_DECIDED', 'INVALID_AMOUNT']).optional(),
  additionalAmountWon: won,
  totalAmountWon: won,
  decidedAt: isoInstant,
});
