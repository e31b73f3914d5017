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
});

export const couponReward = z.strictObject({
  /** Only Kakao Makers online members get coupons. */
  membersOnly: z.boolean(),
  amountsWon: z.array(won.positive().max(1_000_000)).max(10),
  validityDays: z.number().int().positive().max(3650),
  /** A redemption must leave at least this much actually paid. */
  minPaidWon: won.nonnegative(),
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
});

export const reliefTier = z.strictObject({
  tier: z.enum(['T30K', 'T50K']),
  /** Inclusive upper bound of assessed loss for this tier. */
  maxLossWon: won.nonnegative(),
  amountWon: won.nonnegative(),
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
    /** Tiers by ascending maxLossWon; a loss above the last tier goes to committee review. */
    relief: z.strictObject({ tiers: z.array(reliefTier).max(5) }).nullable(),
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
