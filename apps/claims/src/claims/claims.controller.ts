import { Controller, Get, Query } from '@nestjs/common';
import { Roles } from '@platform/auth';
import { AccountId, AccountRead } from '@platform/messaging';
import { ClaimRepository } from './claim.repository';

@Controller('claims')
export class ClaimsController {
  constructor(private readonly claims: ClaimRepository) {}

  /** Counts per campaign, status and reason, for ops. */
  @Get('stats')
  @Roles('reader', 'ops')
  async stats(@Query('campaignId') campaignId?: string) {
    const rows = await this.claims.countByOutcome(campaignId);
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
  @AccountRead()
  async byAccount(@AccountId() accountId: string) {
    const rows = await this.claims.findByAccount(accountId);
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
