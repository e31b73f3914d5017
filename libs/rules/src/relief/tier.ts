import type { ReliefAssessmentModel, ReliefTier } from '@platform/contracts';
import { wholeWon } from './amount';

export type ReliefTierName = ReliefTier['tier'] | 'REVIEW';
export type ReportRejection = 'UNKNOWN_CAMPAIGN' | 'NO_RELIEF' | 'INVALID_AMOUNT';

/** What a campaign says about relief: null when the campaign has no relief programme. */
export interface ReliefProgramme {
  readonly tiers: readonly ReliefTier[];
  /** How raw facts become an assessed loss; absent: only upstream assessments can be decided. */
  readonly assessment?: ReliefAssessmentModel;
}

export type ReportVerdict =
  { ok: true; tier: ReliefTierName; amountWon: number; assessedLossWon: number } | { ok: false; reason: ReportRejection };

/**
 * R10: the tier of a damage report from its assessed sales loss, with the campaign's tiers.
 * A loss up to and including a tier's `maxLossWon` gets that tier (the lowest such tier wins);
 * a loss above every tier goes to committee review with nothing paid yet (amount 0).
 * `campaign` undefined: the campaign is not known (yet); `relief` null: it has no relief programme.
 * The once-per-merchant rule is the database's, not this function's.
 */
export function decideReliefTier(
  assessedLossWon: number | null | undefined,
  campaign: { relief: ReliefProgramme | null } | undefined,
): ReportVerdict {
  if (!campaign) return { ok: false, reason: 'UNKNOWN_CAMPAIGN' };
  if (!campaign.relief) return { ok: false, reason: 'NO_RELIEF' };
  const loss = wholeWon(assessedLossWon);
  if (loss === null) return { ok: false, reason: 'INVALID_AMOUNT' };
  // The contract keeps tiers ascending; sorting here keeps the rule right whatever the order.
  const tiers = [...campaign.relief.tiers].sort((a, b) => a.maxLossWon - b.maxLossWon);
  const tier = tiers.find((t) => loss <= t.maxLossWon);
  return tier
    ? { ok: true, tier: tier.tier, amountWon: tier.amountWon, assessedLossWon: loss }
    : { ok: true, tier: 'REVIEW', amountWon: 0, assessedLossWon: loss };
}
