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

export const merchantDamageReported = z.object({
  eventId: externalId,
  campaignId: externalId,
  merchantId: externalId,
  assessedLossWon: wonInput.nullish(),
  reportedAt: isoInstant,
});

export const merchantReviewDecided = z.object({
  eventId: externalId,
  merchantId: externalId,
  approved: z.boolean(),
  additionalAmountWon: wonInput.nullish(),
  decidedAt: isoInstant,
});
