import { Controller, Logger } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { dlqReason, PayloadOf } from '@platform/contracts';
import { Batch, Inbound, OnBatch, TxContext } from '@platform/messaging';
import { CampaignRepository } from '../campaigns/campaign.repository';

type Request = Inbound<'claimRedriveRequested'>;

interface StoredClaim {
  claim_id: string;
  event_id: string;
  campaign_id: string;
  account_id: string;
  status: 'ACCEPTED' | 'REJECTED';
  makers_member: boolean;
  requested_at: Date | null;
  decided_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Gift packs that converge: the app backend's reconciler asks for an ACCEPTED claim whose grants
 * are still missing to be driven again. The stored decision is published again on
 * compensation.claim.decided.v1, the same decision as the first time (claim id, event id, decidedAt,
 * rewards), so the granting services, idempotent by claim, fill in only what is missing and the
 * claim is still decided once (I1: the claim table is not touched). The claim table does not keep
 * the rewards: they are read from the campaign row, which is immutable once defined (migrations
 * only ever added optional cost and reminder fields to it), so they are the rewards of decision
 * time. A request for a claim that is unknown, not ACCEPTED or of another account or campaign is
 * parked as NOT_REDRIVABLE (replayable, counted by messaging_dead_lettered_by_reason).
 */
@Controller()
export class ClaimRedriveHandler {
  // the log context keeps the old class name: log queries and dashboards filter on it
  private readonly log = new Logger('ClaimRedriver');

  constructor(private readonly campaigns: CampaignRepository) {}

  @OnBatch('claimRedriveRequested')
  async redrive(@Payload() messages: Batch<'claimRedriveRequested'>, @Ctx() ctx: TxContext): Promise<void> {
    const ids = [...new Set(messages.map((m) => m.value.claimId).filter((id) => UUID.test(id)))];
    const rows =
      ids.length === 0
        ? []
        : await ctx.query<StoredClaim>(
            `SELECT claim_id::text AS claim_id, event_id, campaign_id, account_id, status, makers_member, requested_at, decided_at
               FROM claim WHERE claim_id = ANY($1::uuid[])`,
            [ids],
          );
    const byId = new Map(rows.map((r) => [r.claim_id.toLowerCase(), r]));
    const campaigns = await this.campaigns.findMany(ctx.manager, [...new Set(rows.map((r) => r.campaign_id))]);
    const done = new Set<string>();
    for (const m of messages) {
      const v = m.value;
      const c = byId.get(v.claimId.toLowerCase());
      const why = notRedrivable(v, c);
      if (why) {
        ctx.reject(m, dlqReason('NOT_REDRIVABLE', why));
        continue;
      }
      if (!c || done.has(c.claim_id)) continue; // the same claim twice in one chunk: published once
      const campaign = campaigns.get(c.campaign_id);
      if (!campaign) {
        ctx.reject(m, dlqReason('NOT_REDRIVABLE', `claim ${v.claimId}: campaign ${c.campaign_id} is not defined here`));
        continue;
      }
      done.add(c.claim_id);
      const decided: PayloadOf<'claimDecided'> = {
        claimId: c.claim_id,
        eventId: c.event_id,
        campaignId: c.campaign_id,
        accountId: c.account_id,
        status: 'ACCEPTED',
        decidedAt: new Date(c.decided_at).toISOString(),
        requestedAt: new Date(c.requested_at ?? c.decided_at).toISOString(),
        makersMember: c.makers_member,
        rewards: campaign.definition.rewards,
      };
      ctx.republish('claimDecided', decided, m);
      this.log.log({ msg: 'claim re-driven', claimId: c.claim_id, campaignId: c.campaign_id, missing: v.missing, attempt: v.attempt });
    }
  }
}

/** Why this request cannot be re-driven; null when it can. */
function notRedrivable(v: Request['value'], c: StoredClaim | undefined): string | null {
  if (!c) return `claim ${v.claimId} is not known here`;
  if (c.status !== 'ACCEPTED') return `claim ${v.claimId} is ${c.status}, only ACCEPTED claims have grants to re-drive`;
  if (c.account_id !== v.accountId || c.campaign_id !== v.campaignId)
    return `claim ${v.claimId} belongs to account ${c.account_id} in campaign ${c.campaign_id}, not ${v.accountId} in ${v.campaignId}`;
  return null;
}
