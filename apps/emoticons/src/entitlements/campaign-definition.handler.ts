import { campaignDefinitionHandler } from '@platform/messaging';
import { EntitlementRepository } from './entitlement.repository';

/** Keeps each campaign's definition, for decisions that come without their rewards (GrantHandler). */
export const CampaignDefinitionHandler = campaignDefinitionHandler(EntitlementRepository, (entitlements, ctx, definitions) =>
  entitlements.saveCampaigns(ctx.manager, definitions, ctx.now),
);
