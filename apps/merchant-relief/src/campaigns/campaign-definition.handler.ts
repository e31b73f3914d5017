import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { newestDefinitions } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { CampaignRepository } from './campaign.repository';

/** Keeps this service's copy of campaign definitions (relief tiers) from the claims service. */
@Controller()
export class CampaignDefinitionHandler {
  private readonly log = new Logger('Campaigns');

  constructor(private readonly campaigns: CampaignRepository) {}

  @OnBatch('campaignDefined')
  async onDefined(@Payload() messages: Batch<'campaignDefined'>, @Ctx() ctx: TxContext): Promise<void> {
    // The one rule for campaign definitions: the latest definedAt wins, a tie goes to the later in the log.
    const definitions = newestDefinitions(messages);
    const changed = await this.campaigns.upsert(ctx.manager, definitions, ctx.now);
    if (changed > 0) this.log.log(`stored ${changed} campaign definition(s): ${definitions.map((d) => d.campaign.campaignId).join(', ')}`);
  }
}
