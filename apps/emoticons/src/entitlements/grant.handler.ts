import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { EmoticonReward, waitReason } from '@platform/contracts';
import { Batch, Inbound, OnBatch, TxContext } from '@platform/messaging';
import type { EmoticonsConfig } from '../config';
import { EMOTICONS_CONFIG } from '../tokens';
import { entitlementIdFor } from './entitlement-id';
import { EntitlementRepository, GrantRow } from './entitlement.repository';

type Decided = Inbound<'claimDecided'>;

/**
 * I3: every ACCEPTED decision gets exactly one entitlement per emoticon of its campaign's rewards
 * (three for the 2023 campaign), granted once whatever the redelivery: ids come from
 * (claimId, emoticonId) and the database refuses a second copy of a pack for the same account and
 * campaign, and only rows actually inserted are announced.
 */
@Controller()
export class GrantHandler {
  constructor(
    private readonly repo: EntitlementRepository,
    @Inject(EMOTICONS_CONFIG) private readonly config: EmoticonsConfig,
  ) {}

  @OnBatch('claimDecided')
  async onClaimDecided(@Payload() messages: Batch<'claimDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const accepted = messages.filter((m) => m.value.status === 'ACCEPTED');
    if (accepted.length === 0) return;

    // Decisions carry the campaign's rewards; one without them falls back to the announced campaign.
    const withoutRewards = accepted.filter((m) => !m.value.rewards);
    const campaigns = await this.repo.findCampaigns(ctx.manager, [...new Set(withoutRewards.map((m) => m.value.campaignId))]);

    const grants = new Map<string, { row: GrantRow; cause: Decided }>();
    for (const m of accepted) {
      const v = m.value;
      const emoticons: EmoticonReward[] | undefined = v.rewards?.emoticons ?? campaigns.get(v.campaignId)?.rewards.emoticons;
      if (!emoticons) {
        ctx.retryLater(
          m,
          waitReason('UNKNOWN_REWARDS', `accepted claim ${v.claimId} carries no rewards and campaign ${v.campaignId} has not been defined`),
          this.config.EMOTICON_REWARDS_WAIT_MS,
        );
        continue;
      }
      emoticons.forEach((e, position) => {
        const entitlementId = entitlementIdFor(v.claimId, e.emoticonId);
        if (grants.has(entitlementId)) return; // the same decision twice in one chunk
        grants.set(entitlementId, {
          cause: m,
          row: {
            entitlementId,
            claimId: v.claimId,
            claimEventId: v.eventId,
            campaignId: v.campaignId,
            accountId: v.accountId,
            emoticonId: e.emoticonId,
            name: e.name,
            position,
            validityDays: e.validityDays,
            // a permanent pack never expires, so is never reminded
            remindBeforeSeconds: e.validityDays === null ? null : (e.remindBeforeExpirySeconds ?? null),
          },
        });
      });
    }

    const inserted = await this.repo.insertGrants(
      ctx.manager,
      [...grants.values()].map((g) => g.row),
      ctx.now,
    );
    const grantedAt = ctx.now.toISOString();
    for (const { row, cause } of grants.values()) {
      if (!inserted.has(row.entitlementId)) continue;
      ctx.emit(
        'entitlementGranted',
        {
          entitlementId: row.entitlementId,
          claimId: row.claimId,
          eventId: row.claimEventId,
          accountId: row.accountId,
          campaignId: row.campaignId,
          emoticonId: row.emoticonId,
          validityDays: row.validityDays,
          grantedAt,
        },
        cause,
      );
    }
  }
}
