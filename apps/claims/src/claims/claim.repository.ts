import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignDefinition } from '@platform/contracts';

export interface ClaimRow {
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

export interface ClaimCount {
  campaign_id: string;
  status: string;
  reason: string;
  n: string;
}

/**
 * The read side of the claim table for HTTP (plain reads, no locks). The decisions themselves are
 * written by ClaimRequestHandler in its chunk's transaction, as set-based statements.
 */
@Injectable()
export class ClaimRepository {
  constructor(private readonly ds: DataSource) {}

  /** Counts per campaign, status and reason (reason '' when none). */
  async countByOutcome(campaignId: string | undefined): Promise<ClaimCount[]> {
    return (await this.ds.query(
      `SELECT campaign_id, status, coalesce(reason, '') AS reason, count(*)::bigint AS n FROM claim
        WHERE ($1::text IS NULL OR campaign_id = $1) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [campaignId ?? null],
    )) as ClaimCount[];
  }

  /** An account's claims, oldest decision first, with their campaign's definition when known. */
  async findByAccount(accountId: string): Promise<ClaimRow[]> {
    return (await this.ds.query(
      `SELECT c.claim_id, c.event_id, c.campaign_id, c.status, c.reason, c.makers_member, c.requested_at, c.decided_at, k.definition
         FROM claim c LEFT JOIN campaign k USING (campaign_id) WHERE c.account_id = $1 ORDER BY c.decided_at`,
      [accountId],
    )) as ClaimRow[];
  }
}
