import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { CampaignRepository } from './campaign.repository';

/** Keeps this service's copy of campaign definitions (relief tiers) from the claims service. */
@Controller()
export class CampaignListener {
  private readonly log = new Logger('Campaigns');

  constructor(private readonly campaigns: CampaignRepository) {}

  @OnBatch('campaignDefined')
  async onDefined(@Payload() messages: Batch<'campaignDefined'>, @Ctx() ctx: TxContext): Promise<void> {
    const changed = await this.campaigns.upsert(
      ctx.manager,
      messages.map((m) => m.value),
      ctx.now,
    );
    if (changed > 0)
      this.log.log(
        `stored ${changed} campaign definition(s): ${[...new Set(messages.map((m) => m.value.campaign.campaignId))].join(', ')}`,
      );
  }
}
