import { campaignDefinitionHandler } from '@platform/messaging';
import { CampaignRewardRepository } from './campaign-reward.repository';

/** Keeps each campaign's coupon terms, for decisions that come without them (CouponIssueHandler). */
export const CampaignDefinitionHandler = campaignDefinitionHandler(CampaignRewardRepository, (rewards, ctx, definitions) =>
  rewards.upsert(ctx.manager, definitions, ctx.now),
);
