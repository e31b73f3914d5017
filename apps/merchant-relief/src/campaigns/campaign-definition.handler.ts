import { Logger } from '@nestjs/common';
import { campaignDefinitionHandler } from '@platform/messaging';
import { CampaignRepository } from './campaign.repository';

const log = new Logger('Campaigns');

/** Keeps this service's copy of campaign definitions (relief tiers) from the claims service. */
export const CampaignDefinitionHandler = campaignDefinitionHandler(CampaignRepository, async (campaigns, ctx, definitions) => {
  const changed = await campaigns.upsert(ctx.manager, definitions, ctx.now);
  if (changed > 0) log.log(`stored ${changed} campaign definition(s): ${definitions.map((d) => d.campaign.campaignId).join(', ')}`);
});
