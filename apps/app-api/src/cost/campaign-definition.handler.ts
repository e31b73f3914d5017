import { campaignDefinitionHandler } from '@platform/messaging';
import { CostRepository } from './cost.repository';

/** Keeps each campaign's definition (budget, unit values) for the cost ledger. */
export const CampaignDefinitionHandler = campaignDefinitionHandler(CostRepository, (costs, ctx, definitions) =>
  costs.saveDefinitions(ctx, definitions),
);
