import { Controller, Inject, Type } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { CampaignDefined, newestDefinitions } from '@platform/contracts';
import { TxContext } from '../tx-context';
import { Batch, OnBatch } from './decorators';

/** Stores one chunk's newest definitions (one per campaign) with the service's provider, in the consumer's transaction. */
export type SaveDefinitions<S> = (store: S, ctx: TxContext, definitions: CampaignDefined[]) => Promise<unknown>;

/**
 * The consumer of compensation.campaign.defined.v1 for a service that keeps its own copy of the
 * campaign definitions, by the one rule for them: the latest definedAt wins, a tie goes to the
 * later in the log (newestDefinitions here; definitionReplacesSql in the store's upsert, so a
 * redelivered or older announcement changes nothing). List the class it returns among the
 * module's controllers; `store` must be one of its providers.
 */
export function campaignDefinitionHandler<S>(store: Type<S>, save: SaveDefinitions<S>): Type<unknown> {
  @Controller()
  class CampaignDefinitionHandler {
    constructor(@Inject(store) private readonly store: S) {}

    @OnBatch('campaignDefined')
    async onDefined(@Payload() messages: Batch<'campaignDefined'>, @Ctx() ctx: TxContext): Promise<void> {
      await save(this.store, ctx, newestDefinitions(messages));
    }
  }
  return CampaignDefinitionHandler;
}
