import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignRewards } from '@platform/contracts';
import { TxContext } from '@platform/messaging';
import { ClaimGrantKind } from '@platform/rules';

export const RECONCILIATION_STATUSES = ['RE_DRIVEN', 'STUCK', 'COMPLETED'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

export interface StuckRow {
  claim_id: string;
  event_id: string;
  campaign_id: string;
  account_id: string;
  attempts: number;
  missing: ClaimGrantKind[];
  first_found_at: Date;
  last_requested_at: Date;
  stuck_at: Date | null;
}

export interface DecisionRow {
  event_id: string;
  claim_id: string;
  campaign_id: string;
  account_id: string;
  makers_member: boolean | null;
  rewards: CampaignRewards | null;
}

export interface OpenRow extends DecisionRow {
  status: ReconciliationStatus;
  attempts: number;
}

export interface CountRow {
  campaign_id: string;
  status: ReconciliationStatus;
  n: string;
}

export interface ReconcileUpdate {
  claimId: string;
  status: ReconciliationStatus;
  attempts: number;
  missing: ClaimGrantKind[];
  nextCheckAt: Date;
}

const CURSOR = 'accepted';
const GRANT_TOPICS = ['entitlementGranted', 'couponIssued', 'passReserved', 'passSoldOut'];

/** The reconciler's tables (claim_reconciliation, reconciliation_cursor) and its reads of the decisions and the timeline. */
@Injectable()
export class ClaimReconcileRepository {
  constructor(private readonly ds: DataSource) {}

  /** Claims followed, per campaign and status, and how many were checked (for /metrics). */
  async counts(): Promise<{ rows: CountRow[]; checked: number }> {
    const rows = (await this.ds.query(
      `SELECT campaign_id, status, count(*)::bigint AS n FROM claim_reconciliation GROUP BY campaign_id, status`,
    )) as CountRow[];
    const [cursor] = (await this.ds.query(`SELECT checked FROM reconciliation_cursor WHERE name = $1`, [CURSOR])) as { checked: string }[];
    return { rows, checked: Number(cursor?.checked ?? 0) };
  }

  /** The report's reads: counts per campaign and status, the cursor, and the first `limit` stuck claims. */
  async report(campaign: string | null, limit: number) {
    const [counts, cursor, stuck] = await Promise.all([
      this.ds.query(
        `SELECT campaign_id, status, count(*)::bigint AS n FROM claim_reconciliation
          WHERE $1::text IS NULL OR campaign_id = $1 GROUP BY campaign_id, status ORDER BY campaign_id, status`,
        [campaign],
      ) as Promise<CountRow[]>,
      this.ds.query(`SELECT recorded_at, checked, ran_at FROM reconciliation_cursor WHERE name = $1`, [CURSOR]) as Promise<
        { recorded_at: Date; checked: string; ran_at: Date }[]
      >,
      this.ds.query(
        `SELECT claim_id, event_id, campaign_id, account_id, attempts, missing, first_found_at, last_requested_at, stuck_at
           FROM claim_reconciliation WHERE status = 'STUCK' AND ($1::text IS NULL OR campaign_id = $1)
          ORDER BY stuck_at, claim_id LIMIT $2`,
        [campaign, limit],
      ) as Promise<StuckRow[]>,
    ]);
    return { counts, cursor: cursor[0], stuck };
  }

  /** Replicas take turns: the one holding the lock works, the others skip this round. */
  async turn(ctx: TxContext): Promise<boolean> {
    const [r] = await ctx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext('app-api claim reconciler')) AS locked`);
    return r?.locked === true;
  }

  /** The next ACCEPTED decisions recorded up to `bound`, after the cursor (a range scan of claim_decision_accepted_by_recorded). */
  async acceptedAfterCursor(ctx: TxContext, bound: Date, limit: number): Promise<DecisionRow[]> {
    const [cursor] = await ctx.query<{ recorded_at: string; event_id: string }>(
      // as text: the cursor must keep the timestamp's microseconds, which a JS Date would drop
      `SELECT recorded_at::text AS recorded_at, event_id FROM reconciliation_cursor WHERE name = $1`,
      [CURSOR],
    );
    return ctx.query<DecisionRow>(
      `SELECT event_id, claim_id, campaign_id, account_id, makers_member, rewards
         FROM claim_decision
        WHERE status = 'ACCEPTED' AND recorded_at <= $1 AND (recorded_at, event_id) > ($2::timestamptz, $3::text)
        ORDER BY recorded_at, event_id
        LIMIT $4`,
      [bound, cursor?.recorded_at ?? '-infinity', cursor?.event_id ?? '', limit],
    );
  }

  /** Starts following claims found missing grants (first request now); returns the claim ids that were not followed yet. */
  async follow(ctx: TxContext, found: { d: DecisionRow; missing: ClaimGrantKind[] }[], nextCheckAt: Date): Promise<Set<string>> {
    const inserted = await ctx.query<{ claim_id: string }>(
      `INSERT INTO claim_reconciliation (claim_id, event_id, campaign_id, account_id, status, attempts, missing, first_found_at,
                                           last_requested_at, next_check_at, updated_at)
         SELECT t.c, t.e, t.k, t.a, 'RE_DRIVEN', 1, string_to_array(t.m, ','), $6, $6, $7, $6
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t (c, e, k, a, m)
         ON CONFLICT (claim_id) DO NOTHING
         RETURNING claim_id`,
      [
        found.map((f) => f.d.claim_id),
        found.map((f) => f.d.event_id),
        found.map((f) => f.d.campaign_id),
        found.map((f) => f.d.account_id),
        found.map((f) => f.missing.join(',')),
        ctx.now,
        nextCheckAt,
      ],
    );
    return new Set(inserted.map((r) => r.claim_id));
  }

  /** The first checks went through `lastEventId` (`checked` more of them). */
  async advanceCursor(ctx: TxContext, lastEventId: string, checked: number): Promise<void> {
    await ctx.query(
      `INSERT INTO reconciliation_cursor (name, recorded_at, event_id, checked, ran_at)
       SELECT $1, d.recorded_at, d.event_id, $3, $4 FROM claim_decision d WHERE d.event_id = $2
       ON CONFLICT (name) DO UPDATE SET recorded_at = EXCLUDED.recorded_at, event_id = EXCLUDED.event_id,
                                        checked = reconciliation_cursor.checked + EXCLUDED.checked, ran_at = EXCLUDED.ran_at`,
      [CURSOR, lastEventId, checked, ctx.now],
    );
  }

  /** Followed claims due for another check, locked (with their decisions). */
  async dueForCheck(ctx: TxContext, limit: number): Promise<OpenRow[]> {
    return ctx.query<OpenRow>(
      `SELECT r.claim_id, r.event_id, r.campaign_id, r.account_id, r.status, r.attempts, d.makers_member, d.rewards
         FROM claim_reconciliation r JOIN claim_decision d ON d.event_id = r.event_id
        WHERE r.status <> 'COMPLETED' AND r.next_check_at <= $1
        ORDER BY r.next_check_at
        LIMIT $2
        FOR UPDATE OF r`,
      [ctx.now, limit],
    );
  }

  async update(ctx: TxContext, updates: ReconcileUpdate[]): Promise<void> {
    await ctx.query(
      `UPDATE claim_reconciliation r
          SET status = t.s, attempts = t.n, missing = string_to_array(t.m, ','), next_check_at = t.at, updated_at = $6,
              last_requested_at = CASE WHEN t.n > r.attempts THEN $6 ELSE r.last_requested_at END,
              stuck_at = CASE WHEN t.s = 'STUCK' THEN coalesce(r.stuck_at, $6) ELSE r.stuck_at END,
              completed_at = CASE WHEN t.s = 'COMPLETED' THEN $6 ELSE NULL END
         FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::timestamptz[]) AS t (c, s, n, m, at)
        WHERE r.claim_id = t.c`,
      [
        updates.map((u) => u.claimId),
        updates.map((u) => u.status),
        updates.map((u) => u.attempts),
        updates.map((u) => u.missing.join(',')),
        updates.map((u) => u.nextCheckAt),
        ctx.now,
      ],
    );
  }

  /** The grant events the timeline holds for these claims. */
  async grantEvents(ctx: TxContext, claimIds: string[]): Promise<{ claim_id: string; topic: string; emoticon_id: string | null }[]> {
    return ctx.query<{ claim_id: string; topic: string; emoticon_id: string | null }>(
      `SELECT payload->>'claimId' AS claim_id, topic, payload->>'emoticonId' AS emoticon_id
         FROM timeline_event WHERE payload->>'claimId' = ANY($1) AND topic = ANY($2)`,
      [claimIds, GRANT_TOPICS],
    );
  }
}
