import { z } from 'zod';
import { externalId, isoInstant, wonInput } from './primitives';

// Inbound schemas are strict: a field the contract does not know is a producer bug worth
// parking in the DLQ, not something to guess about.

export const claimRequested = z.strictObject({
  eventId: externalId,
  campaignId: externalId,
  accountId: externalId,
  talkLinked: z.boolean(),
  phoneNumber: z.string().max(64),
  makersMember: z.boolean(),
  requestedAt: isoInstant,
});

export const emoticonDownloaded = z.strictObject({
  eventId: externalId,
  accountId: externalId,
  emoticonId: externalId,
  downloadedAt: isoInstant,
});

export const couponRedemptionRequested = z.strictObject({
  eventId: externalId,
  couponId: externalId,
  accountId: externalId,
  orderId: externalId,
  orderAmountWon: wonInput,
  requestedAt: isoInstant,
});

export const passRegistrationRequested = z.strictObject({
  eventId: externalId,
  passId: externalId,
  accountId: externalId,
  requestedAt: isoInstant,
});

export const merchantDamageReported = z.strictObject({
  eventId: externalId,
  campaignId: externalId,
  merchantId: externalId,
  assessedLossWon: wonInput.nullish(),
  reportedAt: isoInstant,
});

export const merchantReviewDecided = z.strictObject({
  eventId: externalId,
  merchantId: externalId,
  approved: z.boolean(),
  additionalAmountWon: wonInput.nullish(),
  decidedAt: isoInstant,
});
