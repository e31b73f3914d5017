import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { newestDefinitions } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { CostRepository } from './cost.repository';

/**
 * Keeps each campaign's definition (budget, unit values) for the cost ledger, by the one rule for
 * campaign definitions: the latest definedAt wins, a tie goes to the later in the log; a
 * redelivered or older announcement changes nothing.
 */
@Controller()
export class CampaignDefinitionHandler {
  constructor(private readonly costs: CostRepository) {}

  @OnBatch('campaignDefined')
  async defined(@Payload() messages: Batch<'campaignDefined'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.costs.saveDefinitions(ctx, newestDefinitions(messages));
  }
}
