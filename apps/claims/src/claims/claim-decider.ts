import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { PayloadOf } from '@platform/contracts';
import { InboundMessage, OnBatch, TxContext } from '@platform/messaging';
import { ClaimRejection, judgeEligibility } from '@platform/rules';
import { CampaignRepository } from '../campaigns/campaign.repository';
import { CLAIMS_CONFIG } from '../tokens';
import type { ClaimsConfig } from '../config';
import { phoneKey } from './phone-key';

type Request = InboundMessage<PayloadOf<'claimRequested'>>;
type Reason = ClaimRejection | 'DUPLICATE';

interface Decision {
  m: Request;
  claimId: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason: Reason | null;
  phoneCountry: string | null;
  phoneHash: string | null;
}

/**
 * Decides every claim exactly once (I1) and accepts at most one per account per campaign (I2).
 * A whole chunk is decided with a handful of set-based statements; the "once per account" rule is
 * the database's partial unique index, so racing duplicates cannot both be accepted.
 */
@Controller()
export class ClaimDecider {
  constructor(
    private readonly campaigns: CampaignRepository,
    @Inject(CLAIMS_CONFIG) private readonly config: ClaimsConfig,
  ) {}

  @OnBatch('claimRequested')
  async decide(@Payload() messages: Request[], @Ctx() ctx: TxContext): Promise<void> {
    // R2: the same eventId again (a retry, a double delivery) is not a second claim.
    const byEvent = new Map<string, Request>();
    for (const m of messages) if (!byEvent.has(m.value.eventId)) byEvent.set(m.value.eventId, m);
    const decided = await ctx.query<{ event_id: string }>(`SELECT event_id FROM claim WHERE event_id = ANY($1)`, [[...byEvent.keys()]]);
    for (const d of decided) byEvent.delete(d.event_id);
    if (byEvent.size === 0) return;

    const campaigns = await this.campaigns.findMany(ctx.manager, [...new Set([...byEvent.values()].map((m) => m.value.campaignId))]);
    const decisions: Decision[] = [];
    for (const m of byEvent.values()) {
      const c = campaigns.get(m.value.campaignId);
      const verdict = judgeEligibility(
        { talkLinked: m.value.talkLinked, phoneNumber: m.value.phoneNumber, requestedAt: new Date(m.value.requestedAt), producedAt: m.timestamp },
        c && { opensAt: c.opensAt, closesAt: c.closesAt },
        this.config.CLAIM_SKEW_TOLERANCE_SECONDS * 1000,
      );
      const e164 = verdict.eligible ? verdict.phoneE164 : verdict.phoneE164;
      decisions.push({
        m,
        claimId: randomUUID(),
        status: verdict.eligible ? 'ACCEPTED' : 'REJECTED',
        reason: verdict.eligible ? null : verdict.reason,
        phoneCountry: verdict.phoneCountry,
        phoneHash: e164 ? phoneKey(this.config.PHONE_HASH_SECRET, e164) : null,
      });
    }

    // Eligible ones try to become the account's accepted claim; the unique index picks one winner.
    const eligible = decisions.filter((d) => d.status === 'ACCEPTED');
    if (eligible.length > 0) {
      const won = await this.insert(ctx, eligible, true);
      for (const d of eligible) {
        if (!won.has(d.m.value.eventId)) {
          d.status = 'REJECTED';
          d.reason = 'DUPLICATE';
        }
      }
    }
    const rejected = decisions.filter((d) => d.status === 'REJECTED');
    if (rejected.length > 0) await this.insert(ctx, rejected, false);

    const decidedAt = ctx.now.toISOString();
    for (const d of decisions) {
      const c = campaigns.get(d.m.value.campaignId);
      ctx.emit(
        'claimDecided',
        {
          claimId: d.claimId,
          eventId: d.m.value.eventId,
          campaignId: d.m.value.campaignId,
          accountId: d.m.value.accountId,
          status: d.status,
          ...(d.reason ? { reason: d.reason } : {}),
          decidedAt,
          requestedAt: d.m.value.requestedAt,
          makersMember: d.m.value.makersMember,
          ...(d.status === 'ACCEPTED' && c ? { rewards: c.definition.rewards } : {}),
        },
        d.m,
      );
    }
  }

  /** Inserts decisions; returns the event ids that were inserted. */
  private async insert(ctx: TxContext, ds: Decision[], accepting: boolean): Promise<Set<string>> {
    const col = <T>(f: (d: Decision) => T): T[] => ds.map(f);
    const rows = await ctx.query<{ event_id: string }>(
      `INSERT INTO claim (claim_id, event_id, campaign_id, account_id, status, reason, talk_linked, makers_member,
                          phone_country, phone_hash, requested_at, produced_at, decided_at)
       SELECT t.*, $13::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                $7::bool[], $8::bool[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[]) AS t
       ${accepting ? `ON CONFLICT (campaign_id, account_id) WHERE status = 'ACCEPTED' DO NOTHING` : `ON CONFLICT (event_id) DO NOTHING`}
       RETURNING event_id`,
      [
        col((d) => d.claimId),
        col((d) => d.m.value.eventId),
        col((d) => d.m.value.campaignId),
        col((d) => d.m.value.accountId),
        col((d) => d.status),
        col((d) => d.reason),
        col((d) => d.m.value.talkLinked),
        col((d) => d.m.value.makersMember),
        col((d) => d.phoneCountry),
        col((d) => d.phoneHash),
        col((d) => (Number.isNaN(Date.parse(d.m.value.requestedAt)) ? null : d.m.value.requestedAt)),
        col((d) => d.m.timestamp.toISOString()),
        ctx.now,
      ],
    );
    return new Set(rows.map((r) => r.event_id));
  }
}
