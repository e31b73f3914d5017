import { z } from 'zod';
import { externalId, isoInstant, won } from './primitives';

/**
 * A campaign is data. Ops define one (POST /campaigns on the claims service); the claims service
 * publishes it on `compensation.campaign.defined.v1` and copies its reward part into every
 * ACCEPTED decision, so no other service hard-codes the 2023 numbers.
 */
export const emoticonReward = z.strictObject({
  emoticonId: externalId,
  name: z.string().min(1).max(200),
  /** null: permanent. Otherwise usable for this many days from the first download. */
  validityDays: z.number().int().positive().max(3650).nullable(),
  /** What one granted pack is worth to the cost ledger (GET /v1/campaigns/:id/cost). Absent: not costed. */
  valueWon: won.nonnegative().max(1_000_000).optional(),
  /** A time-limited pack gets `emoticon.entitlement.expiring-soon.v1` this long before it expires. Absent: no reminder. */
  remindBeforeExpirySeconds: z.number().int().positive().optional(),
});

export const couponReward = z.strictObject({
  /** Only Kakao Makers online members get coupons. */
  membersOnly: z.boolean(),
  amountsWon: z.array(won.positive().max(1_000_000)).max(10),
  validityDays: z.number().int().positive().max(3650),
  /** A redemption must leave at least this much actually paid. */
  minPaidWon: won.nonnegative(),
  /** An unredeemed coupon gets `coupon.expiring-soon.v1` this long before it expires. Absent: no reminder. */
  remindBeforeExpirySeconds: z.number().int().positive().optional(),
});

export const passReward = z.strictObject({
  /** First come, first served: never more passes than this. */
  cap: z.number().int().nonnegative().max(100_000_000),
  /** A pass not delivered within this many seconds of its claim gets a delay notice first. */
  delayNoticeAfterSeconds: z.number().int().positive(),
  /** A sent pass must be registered within this many seconds. */
  registrationWindowSeconds: z.number().int().positive(),
  /** A registered pass is valid this many seconds from registration. */
  validitySeconds: z.number().int().positive(),
  storageGb: z.number().int().positive(),
  /** What one sent pass is worth to the cost ledger. Absent: not costed. */
  valueWon: won.nonnegative().max(1_000_000).optional(),
  /**
   * A sent, unregistered pass gets `talkdrawer.pass.registration.expiring-soon.v1` this long before
   * its registration window ends. Absent: no reminder.
   */
  remindBeforeRegistrationEndsSeconds: z.number().int().positive().optional(),
});

export const reliefTier = z.strictObject({
  tier: z.enum(['T30K', 'T50K']),
  /** Inclusive upper bound of assessed loss for this tier. */
  maxLossWon: won.nonnegative(),
  amountWon: won.nonnegative(),
});

/** Basis points: 10,000 = 100 %. Integers, so an assessment is whole-number arithmetic. */
const basisPoints = z.number().int().min(0).max(10_000);

/** Whether merchants' customers could switch to another provider of a Kakao service during the outage. */
export const substituteLevels = ['NONE', 'PARTIAL', 'AVAILABLE'] as const;

/**
 * How the relief service turns a merchant's raw facts into an assessed sales loss (R10: "reflecting
 * the merchant's operating margin, whether a substitute service existed, and Kakao's share of that
 * service"). Versioned with the campaign: every decision's explanation names `version`, so change it
 * whenever a table changes. The 2023 defaults and where each comes from: apps/merchant-relief/README.md.
 */
export const reliefAssessmentModel = z
  .strictObject({
    version: externalId,
    /** Operating margin per business category: the part of lost sales that was lost profit. */
    categories: z
      .array(z.strictObject({ category: externalId, operatingMarginBp: basisPoints, note: z.string().max(500).optional() }))
      .min(1)
      .max(200),
    /** Per Kakao service: Kakao's share of that service's market, and whether a substitute existed. */
    services: z
      .array(
        z.strictObject({
          service: externalId,
          kakaoShareBp: basisPoints,
          substitute: z.enum(substituteLevels),
          note: z.string().max(500).optional(),
        }),
      )
      .min(1)
      .max(100),
    /** The part of a loss that stays lost, by how far customers could switch to a substitute. */
    substituteFactorsBp: z.strictObject({ NONE: basisPoints, PARTIAL: basisPoints, AVAILABLE: basisPoints }),
    /** Plausibility bounds: a report beyond them is IMPLAUSIBLE_FACTS (lost revenue is bounded by both). */
    maxOutageHours: z
      .number()
      .int()
      .positive()
      .max(24 * 366),
    maxDailyRevenueWon: won.positive().max(1_000_000_000_000),
  })
  .superRefine((m, ctx) => {
    const dup = (xs: string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
    const c = dup(m.categories.map((x) => x.category));
    if (c) ctx.addIssue({ code: 'custom', path: ['categories'], message: `category ${c} is listed twice` });
    const s = dup(m.services.map((x) => x.service));
    if (s) ctx.addIssue({ code: 'custom', path: ['services'], message: `service ${s} is listed twice` });
  });

export const campaignRewards = z.strictObject({
  emoticons: z.array(emoticonReward).max(20),
  coupons: couponReward.nullable(),
  pass: passReward.nullable(),
});

export const campaignDefinition = z
  .strictObject({
    campaignId: externalId,
    name: z.string().min(1).max(200),
    /** Claims made at or after this instant are in the window. */
    opensAt: isoInstant,
    /** Claims made at or after this instant are too late (exclusive end). */
    closesAt: isoInstant,
    rewards: campaignRewards,
    /** What finance expects the campaign to cost, in won; the cost ledger reports against it. Absent: no budget. */
    budgetWon: won.nonnegative().optional(),
    /**
     * One gift per person: a second ACCEPTED claim from another account with the same phone number
     * (compared as HMAC keys) is REJECTED `DUPLICATE_PERSON`. Absent: off.
     */
    onePerPerson: z.boolean().optional(),
    /** Tiers by ascending maxLossWon; a loss above the last tier goes to committee review. */
    relief: z
      .strictObject({
        tiers: z.array(reliefTier).max(5),
        /** Absent: reports must carry an upstream `assessedLossWon`; raw facts are NO_ASSESSMENT_MODEL. */
        assessment: reliefAssessmentModel.optional(),
      })
      .nullable(),
  })
  .superRefine((c, ctx) => {
    if (Date.parse(c.closesAt) <= Date.parse(c.opensAt)) {
      ctx.addIssue({ code: 'custom', path: ['closesAt'], message: 'closesAt must be after opensAt' });
    }
    const ids = c.rewards.emoticons.map((e) => e.emoticonId);
    if (new Set(ids).size !== ids.length) {
      ctx.addIssue({ code: 'custom', path: ['rewards', 'emoticons'], message: 'emoticonId must be unique' });
    }
    const tiers = c.relief?.tiers ?? [];
    for (let i = 1; i < tiers.length; i++) {
      const prev = tiers[i - 1];
      const cur = tiers[i];
      if (prev && cur && cur.maxLossWon <= prev.maxLossWon) {
        ctx.addIssue({ code: 'custom', path: ['relief', 'tiers', i], message: 'tiers must ascend by maxLossWon' });
      }
    }
  });

export type CampaignDefinition = z.infer<typeof campaignDefinition>;
export type CampaignRewards = z.infer<typeof campaignRewards>;
export type EmoticonReward = z.infer<typeof emoticonReward>;
export type CouponReward = z.infer<typeof couponReward>;
export type PassReward = z.infer<typeof passReward>;
export type ReliefTier = z.infer<typeof reliefTier>;
export type ReliefAssessmentModel = z.infer<typeof reliefAssessmentModel>;
export type SubstituteLevel = (typeof substituteLevels)[number];
