import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PayloadOf } from '@platform/contracts';
import { TxContext } from '@platform/messaging';

export type ClaimRequest = PayloadOf<'claimRequested'>;
export type ClaimDecision = PayloadOf<'claimDecided'>;

export interface IntakeRow {
  event_id: string;
  request_fingerprint: string;
  account_id: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  claim_id: string | null;
  decided_at: Date | null;
}

export interface DecisionRow {
  event_id: string;
  account_id: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  claim_id: string;
  decided_at: Date;
}

/** The claims taken in at the front door (claim_intake) and every claim decision learnt (claim_decision). */
@Injectable()
export class ClaimRepository {
  constructor(private readonly ds: DataSource) {}

  /** Takes a claim in under its eventId; false when that key is already there (a retry, or another body). */
  async takeIn(ctx: TxContext, claim: ClaimRequest, fingerprint: string): Promise<boolean> {
    const inserted = await ctx.query(
      `INSERT INTO claim_intake (event_id, request_fingerprint, campaign_id, account_id, received_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [claim.eventId, fingerprint, claim.campaignId, claim.accountId, ctx.now],
    );
    return inserted.length === 1;
  }

  /** The intake row of a claim, in the transaction when given one (it sees what the insert waited for). */
  async intake(eventId: string, ctx?: TxContext): Promise<IntakeRow | null> {
    const sql = `SELECT * FROM claim_intake WHERE event_id = $1`;
    const [row] = ctx ? await ctx.query<IntakeRow>(sql, [eventId]) : ((await this.ds.query(sql, [eventId])) as IntakeRow[]);
    return row ?? null;
  }

  /** Claims taken in and not decided yet (counted up to `cap`), and claims settled in the last `windowSeconds`. */
  async intakeBacklog(cap: number, windowSeconds: number): Promise<{ pending: number; settled: number }> {
    const [row] = (await this.ds.query(
      `SELECT (SELECT count(*) FROM (SELECT 1 FROM claim_intake WHERE status = 'PENDING' LIMIT $1) p)::bigint AS pending,
                (SELECT count(*) FROM claim_intake WHERE settled_at > now() - make_interval(secs => $2))::bigint AS settled`,
      [cap, windowSeconds],
    )) as { pending: string; settled: string }[];
    return { pending: Number(row?.pending ?? 0), settled: Number(row?.settled ?? 0) };
  }

  async decision(eventId: string): Promise<DecisionRow | null> {
    const [d] = (await this.ds.query(`SELECT * FROM claim_decision WHERE event_id = $1`, [eventId])) as DecisionRow[];
    return d ?? null;
  }

  /**
   * Records decisions (one per event: a redelivered one finds its row and changes nothing) and
   * settles the intake rows of claims that came through this door.
   */
  async recordDecisions(ctx: TxContext, ds: ClaimDecision[]): Promise<void> {
    const col = <T>(f: (d: ClaimDecision) => T): T[] => ds.map(f);
    await ctx.query(
      `INSERT INTO claim_decision (event_id, claim_id, campaign_id, account_id, status, reason, makers_member, requested_at, decided_at,
                                   rewards, recorded_at)
       SELECT t.*, $11::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[],
                                                 $8::timestamptz[], $9::timestamptz[], $10::jsonb[]) AS t
       ON CONFLICT (event_id) DO NOTHING`,
      [
        col((d) => d.eventId),
        col((d) => d.claimId),
        col((d) => d.campaignId),
        col((d) => d.accountId),
        col((d) => d.status),
        col((d) => d.reason ?? null),
        col((d) => d.makersMember),
        col((d) => d.requestedAt),
        col((d) => d.decidedAt),
        col((d) => (d.rewards ? JSON.stringify(d.rewards) : null)),
        ctx.now,
      ],
    );
    await ctx.query(
      `UPDATE claim_intake i SET status = d.status, reason = d.reason, claim_id = d.claim_id, decided_at = d.decided_at, settled_at = $2
         FROM claim_decision d
        WHERE d.event_id = ANY($1) AND i.event_id = d.event_id AND i.status = 'PENDING'`,
      [col((d) => d.eventId), ctx.now],
    );
  }
}
