import { z } from 'zod';
import { externalId, isoInstant, wonInput } from './primitives';

// Inbound schemas accept added fields (the contract allows producers to add them) and strip them,
// so nothing the contract does not name reaches a handler or storage. Missing or mistyped listed
// fields stay violations.

export const claimRequested = z.object({
  eventId: externalId,
  campaignId: externalId,
  accountId: externalId,
  talkLinked: z.boolean(),
  phoneNumber: z.string().max(64),
  makersMember: z.boolean(),
  requestedAt: isoInstant,
});

export const emoticonDownloaded = z.object({
  eventId: externalId,
  accountId: externalId,
  emoticonId: externalId,
  downloadedAt: isoInstant,
});

export const couponRedemptionRequested = z.object({
  eventId: externalId,
  couponId: externalId,
  accountId: externalId,
  orderId: externalId,
  orderAmountWon: wonInput,
  requestedAt: isoInstant,
});

export const passRegistrationRequested = z.object({
  eventId: externalId,
  passId: externalId,
  accountId: externalId,
  requestedAt: isoInstant,
});

/**
 * A proof-of-damage document, by reference only: the document stays with whoever holds it; the
 * platform keeps its id and SHA-256 (hex) so the committee can cite it and anyone can check it.
 */
export const evidenceReference = z.object({
  documentId: externalId,
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'SHA-256 as 64 hex digits')
    .toLowerCase(),
});

/**
 * The merchant's own figures, for the campaign's assessment model (used when the report carries no
 * upstream `assessedLossWon`). Deliberately loose, like `wonInput`: a missing, negative or absurd
 * figure is answered with a reason, not parked.
 */
export const damageFacts = z.object({
  /** The Kakao service the business depended on (a `services` entry of the model). */
  service: externalId.nullish(),
  /** The business category (a `categories` entry of the model). */
  category: externalId.nullish(),
  /** Revenue lost during the outage, if the merchant knows it; else the two figures below. */
  revenueLostWon: wonInput.nullish(),
  usualDailyRevenueWon: wonInput.nullish(),
  /** Hours of the outage the business traded through (at most two decimals). */
  outageHours: z.number().nullish(),
});

export const merchantDamageReported = z.object({
  eventId: externalId,
  campaignId: externalId,
  merchantId: externalId,
  /** An upstream assessment; when present it is used as is and `facts` are only recorded. */
  assessedLossWon: wonInput.nullish(),
  facts: damageFacts.nullish(),
  /** Proof of damage for a case that goes to the committee (it may also follow later). */
  evidence: z.array(evidenceReference).max(20).nullish(),
  reportedAt: isoInstant,
});

export const merchantEvidenceSubmitted = z.object({
  eventId: externalId,
  campaignId: externalId,
  merchantId: externalId,
  evidence: z.array(evidenceReference).min(1).max(20),
  submittedAt: isoInstant,
});

export const merchantReviewDecided = z.object({
  eventId: externalId,
  merchantId: externalId,
  approved: z.boolean(),
  additionalAmountWon: wonInput.nullish(),
  /** The documents (documentId) the committee relied on; an approval must name at least one. */
  evidenceIds: z.array(externalId).max(20).nullish(),
  decidedAt: isoInstant,
});
