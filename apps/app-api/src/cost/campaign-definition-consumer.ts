import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayloadOf } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';

/**
 * Keeps each campaign's definition (budget, unit values) for the cost ledger. The newest
 * announcement wins; a redelivered or older one changes nothing.
 */
@Controller()
export class CampaignDefinitionConsumer {
  @OnBatch('campaignDefined')
  async defined(@Payload() messages: Batch<'campaignDefined'>, @Ctx() ctx: TxContext): Promise<void> {
    const newest = new Map<string, PayloadOf<'campaignDefined'>>();
    for (const m of messages) {
      const seen = newest.get(m.value.campaign.campaignId);
      if (!seen || Date.parse(m.value.definedAt) >= Date.parse(seen.definedAt)) newest.set(m.value.campaign.campaignId, m.value);
    }
    const ds = [...newest.values()];
    await ctx.query(
      `INSERT INTO cost_campaign (campaign_id, definition, defined_at, recorded_at)
       SELECT t.*, $4::timestamptz FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS t
       ON CONFLICT (campaign_id) DO UPDATE SET definition = EXCLUDED.definition, defined_at = EXCLUDED.defined_at,
                                               recorded_at = EXCLUDED.recorded_at
        WHERE cost_campaign.defined_at <= EXCLUDED.defined_at`,
      [ds.map((d) => d.campaign.campaignId), ds.map((d) => JSON.stringify(d.campaign)), ds.map((d) => d.definedAt), ctx.now],
    );
  }
}
