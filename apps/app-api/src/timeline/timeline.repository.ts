import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CampaignRewards, PayloadOf, TopicKey } from '@platform/contracts';
import { TxContext } from '@platform/messaging';

export interface DecisionRow {
  event_id: string;
  claim_id: string;
  campaign_id: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  makers_member: boolean | null;
  requested_at: Date | null;
  decided_at: Date;
  rewards: CampaignRewards | null;
}

export interface PendingRow {
  event_id: string;
  campaign_id: string;
  received_at: Date;
}

export interface EventRow {
  topic: string;
  natural_key: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

export interface ProgressRow {
  campaign_id: string;
  sent_through_slot: number;
  sent_count: string;
  first_sent_at: Date;
  last_sent_at: Date;
}

export interface ReconciliationRow {
  claim_id: string;
  status: 'RE_DRIVEN' | 'STUCK' | 'COMPLETED';
  attempts: number;
  missing: string[];
  last_requested_at: Date;
}

/** One event as the timeline keeps it: once per topic and natural key. */
export interface TimelineEntry {
  naturalKey: string;
  accountId: string;
  occurredAt: string;
}

/** How far a campaign's pass queue has been sent, from first-time sends. */
export interface QueueAdvance {
  through: number;
  count: number;
  first: string;
  last: string;
}

/** Everything the timeline of one account is built from, read in one snapshot. */
export interface AccountRead {
  decisions: DecisionRow[];
  pendingClaims: PendingRow[];
  events: EventRow[];
  progress: ProgressRow[];
  lastRecorded: Date | null;
  reconciliation: ReconciliationRow[];
}

/** The timeline read model: events kept once by natural key, the pass queue's progress, and the reads of one account. */
@Injectable()
export class TimelineRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts the events not seen before (one per natural key); returns the keys that were new. */
  async record<K extends TopicKey>(ctx: TxContext, topic: K, rows: { e: TimelineEntry; v: PayloadOf<K> }[]): Promise<Set<string>> {
    const inserted = await ctx.query<{ natural_key: string }>(
      `INSERT INTO timeline_event (topic, natural_key, account_id, occurred_at, payload, recorded_at)
     SELECT $1, t.k, t.a, t.o, t.p, $6 FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS t(k, a, o, p)
     ON CONFLICT (topic, natural_key) DO NOTHING
     RETURNING natural_key`,
      [
        topic,
        rows.map((r) => r.e.naturalKey),
        rows.map((r) => r.e.accountId),
        rows.map((r) => r.e.occurredAt),
        rows.map((r) => JSON.stringify(r.v)),
        ctx.now,
      ],
    );
    return new Set(inserted.map((r) => r.natural_key));
  }

  /** Moves a campaign's queue head forward (never back) and adds the sends to its count. */
  async advanceQueue(ctx: TxContext, campaignId: string, c: QueueAdvance): Promise<void> {
    await ctx.query(
      `INSERT INTO pass_queue_progress (campaign_id, sent_through_slot, sent_count, first_sent_at, last_sent_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id) DO UPDATE SET
           sent_through_slot = GREATEST(pass_queue_progress.sent_through_slot, EXCLUDED.sent_through_slot),
           sent_count = pass_queue_progress.sent_count + EXCLUDED.sent_count,
           first_sent_at = LEAST(pass_queue_progress.first_sent_at, EXCLUDED.first_sent_at),
           last_sent_at = GREATEST(pass_queue_progress.last_sent_at, EXCLUDED.last_sent_at)`,
      [campaignId, c.through, c.count, c.first, c.last],
    );
  }

  /** One account's decisions, pending claims, events, queue progress and reconciliation, in one snapshot so the parts agree. */
  read(accountId: string): Promise<AccountRead> {
    return this.ds.transaction('REPEATABLE READ', async (m) => {
      const decisions = (await m.query(`SELECT * FROM claim_decision WHERE account_id = $1 ORDER BY decided_at`, [
        accountId,
      ])) as DecisionRow[];
      const pendingClaims = (await m.query(
        `SELECT event_id, campaign_id, received_at FROM claim_intake WHERE account_id = $1 AND status = 'PENDING' ORDER BY received_at`,
        [accountId],
      )) as PendingRow[];
      const events = (await m.query(
        `SELECT topic, natural_key, occurred_at, payload FROM timeline_event WHERE account_id = $1 ORDER BY occurred_at, topic, natural_key`,
        [accountId],
      )) as EventRow[];
      const campaigns = [...new Set(events.filter((e) => e.topic === 'passReserved').map((e) => String(e.payload.campaignId)))];
      const progress = (await m.query(`SELECT * FROM pass_queue_progress WHERE campaign_id = ANY($1)`, [campaigns])) as ProgressRow[];
      const [last] = (await m.query(
        `SELECT max(t) AS at FROM (SELECT max(recorded_at) AS t FROM timeline_event WHERE account_id = $1
                                   UNION ALL SELECT max(recorded_at) FROM claim_decision WHERE account_id = $1) x`,
        [accountId],
      )) as { at: Date | null }[];
      // the reconciler's view of this account's claims (only those it found missing grants)
      const reconciliation = (await m.query(
        `SELECT claim_id, status, attempts, missing, last_requested_at FROM claim_reconciliation WHERE account_id = $1`,
        [accountId],
      )) as ReconciliationRow[];
      return { decisions, pendingClaims, events, progress, lastRecorded: last?.at ?? null, reconciliation };
    });
  }
}
