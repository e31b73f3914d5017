import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { NamesAccount, Roles } from '@platform/auth';
import { CampaignDefinition } from '@platform/contracts';

interface ClaimRow {
  claim_id: string;
  event_id: string;
  campaign_id: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  makers_member: boolean;
  requested_at: Date | null;
  decided_at: Date;
  definition: CampaignDefinition | null;
}

@Controller('claims')
export class ClaimsController {
  constructor(private readonly ds: DataSource) {}

  /** Counts per campaign, status and reason, for ops. */
  @Get('stats')
  @Roles('reader', 'ops')
  async stats(@Query('campaignId') campaignId?: string) {
    const rows = (await this.ds.query(
      `SELECT campaign_id, status, coalesce(reason, '') AS reason, count(*)::bigint AS n FROM claim
        WHERE ($1::text IS NULL OR campaign_id = $1) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [campaignId ?? null],
    )) as { campaign_id: string; status: string; reason: string; n: string }[];
    const campaigns: Record<string, { accepted: number; rejected: number; byReason: Record<string, number> }> = {};
    for (const r of rows) {
      const c = (campaigns[r.campaign_id] ??= { accepted: 0, rejected: 0, byReason: {} });
      if (r.status === 'ACCEPTED') c.accepted += Number(r.n);
      else {
        c.rejected += Number(r.n);
        c.byReason[r.reason] = Number(r.n);
      }
    }
    return { campaigns };
  }

  /** An account's claims with their outcome and what this service knows was granted. */
  @Get(':accountId')
  @Roles('reader', 'ops', 'app-backend')
  @NamesAccount({ param: 'accountId' })
  async byAccount(@Param('accountId') accountId: string) {
    if (!/^[\x21-\x7e]{1,128}$/.test(accountId)) throw new BadRequestException({ error: 'INVALID_ACCOUNT_ID' });
    const rows = (await this.ds.query(
      `SELECT c.claim_id, c.event_id, c.campaign_id, c.status, c.reason, c.makers_member, c.requested_at, c.decided_at, k.definition
         FROM claim c LEFT JOIN campaign k USING (campaign_id) WHERE c.account_id = $1 ORDER BY c.decided_at`,
      [accountId],
    )) as ClaimRow[];
    return {
      accountId,
      claims: rows.map((r) => ({
        claimId: r.claim_id,
        eventId: r.event_id,
        campaignId: r.campaign_id,
        status: r.status,
        reason: r.reason ?? undefined,
        requestedAt: r.requested_at ? new Date(r.requested_at).toISOString() : null,
        decidedAt: new Date(r.decided_at).toISOString(),
        granted:
          r.status === 'ACCEPTED' && r.definition
            ? {
                emoticons: r.definition.rewards.emoticons.map((e) => e.emoticonId),
                coupons:
                  r.definition.rewards.coupons && (r.makers_member || !r.definition.rewards.coupons.membersOnly)
                    ? r.definition.rewards.coupons.amountsWon
                    : [],
                talkDrawerPass: r.definition.rewards.pass ? 'FIRST_COME_FIRST_SERVED (see pass-dispatcher)' : 'NOT_OFFERED',
              }
            : null,
      })),
    };
  }
}
