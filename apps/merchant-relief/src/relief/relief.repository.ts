import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ReliefExplanation } from '@platform/contracts';
import { ReliefAnswer } from '../reports/report.repository';
import { ReviewAnswer } from '../reviews/review.repository';

export type ReviewFilter = 'PENDING' | 'APPROVED' | 'DECLINED';

/** Keyset position in the review queue: (referred at, campaign, merchant). */
export interface QueueCursor {
  decidedAt: string;
  campaignId: string;
  merchantId: string;
}

export interface EvidenceItem {
  documentId: string;
  sha256: string;
  sourceEventId: string;
  receivedAt: string;
}

export interface ReviewQueueItem {
  campaignId: string;
  merchantId: string;
  assessedLossWon: number;
  /** How the loss was assessed (null for reliefs decided before explanations existed). */
  explanation: ReliefExplanation | null;
  /** The proof of damage the case holds, and the documents the committee relied on once decided. */
  evidence: EvidenceItem[];
  reviewEvidenceIds: string[] | null;
  reportEventId: string;
  reportedAt: string;
  referredAt: string;
  status: ReviewFilter;
  additionalAmountWon: number;
  reviewEventId: string | null;
  reviewedAt: string | null;
}

interface ReliefRow {
  campaign_id: string;
  merchant_id: string;
  report_event_id: string;
  assessed_loss_won: string;
  tier: 'T30K' | 'T50K' | 'REVIEW';
  tier_amount_won: string;
  review_status: 'NONE' | ReviewFilter;
  review_event_id: string | null;
  additional_amount_won: string;
  reported_at: Date;
  decided_at: Date;
  reviewed_at: Date | null;
  owed_won: string | null;
  explanation: ReliefExplanation | null;
  review_evidence_ids: string[] | null;
}

interface EvidenceRow {
  campaign_id: string;
  merchant_id: string;
  document_id: string;
  sha256: string;
  source_event_id: string;
  received_at: Date;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

const evidenceItem = (e: EvidenceRow): EvidenceItem => ({
  documentId: e.document_id,
  sha256: e.sha256,
  sourceEventId: e.source_event_id,
  receivedAt: new Date(e.received_at).toISOString(),
});

/** Read side for the committee, the merchant view and ops (no locks, plain reads). */
@Injectable()
export class ReliefRepository {
  constructor(private readonly ds: DataSource) {}

  async reviewQueue(
    status: ReviewFilter,
    campaignId: string | undefined,
    limit: number,
    after: QueueCursor | undefined,
  ): Promise<ReviewQueueItem[]> {
    const rows = (await this.ds.query(
      `SELECT * FROM relief
        WHERE tier = 'REVIEW' AND review_status = $1 AND ($2::text IS NULL OR campaign_id = $2)
          AND ($3::timestamptz IS NULL OR (decided_at, campaign_id, merchant_id) > ($3::timestamptz, $4::text, $5::text))
        ORDER BY decided_at, campaign_id, merchant_id LIMIT $6`,
      [status, campaignId ?? null, after?.decidedAt ?? null, after?.campaignId ?? null, after?.merchantId ?? null, limit],
    )) as ReliefRow[];
    const evidence = await this.evidenceOf(rows);
    return rows.map((r) => ({
      campaignId: r.campaign_id,
      merchantId: r.merchant_id,
      assessedLossWon: Number(r.assessed_loss_won),
      explanation: r.explanation,
      evidence: evidence.get(`${r.campaign_id}\u0000${r.merchant_id}`) ?? [],
      reviewEvidenceIds: r.review_evidence_ids,
      reportEventId: r.report_event_id,
      reportedAt: new Date(r.reported_at).toISOString(),
      referredAt: new Date(r.decided_at).toISOString(),
      status: r.review_status === 'NONE' ? 'PENDING' : r.review_status,
      additionalAmountWon: Number(r.additional_amount_won),
      reviewEventId: r.review_event_id,
      reviewedAt: iso(r.reviewed_at),
    }));
  }

  /** The evidence held by each (campaign, merchant) case, oldest first. */
  private async evidenceOf(cases: { campaign_id: string; merchant_id: string }[]): Promise<Map<string, EvidenceItem[]>> {
    const out = new Map<string, EvidenceItem[]>();
    if (cases.length === 0) return out;
    const rows = (await this.ds.query(
      `SELECT e.* FROM relief_evidence e JOIN unnest($1::text[], $2::text[]) AS t(c, m) ON e.campaign_id = t.c AND e.merchant_id = t.m
        ORDER BY e.received_at, e.document_id`,
      [cases.map((c) => c.campaign_id), cases.map((c) => c.merchant_id)],
    )) as EvidenceRow[];
    for (const e of rows) {
      const k = `${e.campaign_id}\u0000${e.merchant_id}`;
      const list = out.get(k) ?? [];
      list.push(evidenceItem(e));
      out.set(k, list);
    }
    return out;
  }

  /** Everything this service knows about a merchant, or null when nothing. */
  async merchant(merchantId: string) {
    const [reliefs, ledger, reports, reviews, submissions, evidenceRows] = await Promise.all([
      this.ds.query(
        `SELECT r.*, (SELECT sum(amount_won) FROM payout_ledger l WHERE l.campaign_id = r.campaign_id AND l.merchant_id = r.merchant_id) AS owed_won
           FROM relief r WHERE r.merchant_id = $1 ORDER BY r.decided_at, r.campaign_id`,
        [merchantId],
      ) as Promise<ReliefRow[]>,
      this.ds.query(
        `SELECT entry_id, campaign_id, kind, amount_won, source_event_id, created_at FROM payout_ledger WHERE merchant_id = $1 ORDER BY entry_id`,
        [merchantId],
      ) as Promise<
        { entry_id: string; campaign_id: string; kind: string; amount_won: string; source_event_id: string; created_at: Date }[]
      >,
      this.ds.query(`SELECT answer FROM relief_report WHERE merchant_id = $1 ORDER BY decided_at, event_id`, [merchantId]) as Promise<
        { answer: ReliefAnswer }[]
      >,
      this.ds.query(`SELECT answer, campaign_id FROM review_decision WHERE merchant_id = $1 ORDER BY decided_at, event_id`, [
        merchantId,
      ]) as Promise<{ answer: ReviewAnswer; campaign_id: string | null }[]>,
      this.ds.query(`SELECT answer FROM evidence_submission WHERE merchant_id = $1 ORDER BY decided_at, event_id`, [merchantId]) as Promise<
        { answer: unknown }[]
      >,
      this.ds.query(`SELECT * FROM relief_evidence WHERE merchant_id = $1 ORDER BY received_at, document_id`, [merchantId]) as Promise<
        EvidenceRow[]
      >,
    ]);
    if (reliefs.length + reports.length + reviews.length + submissions.length === 0) return null;
    const evidenceFor = (campaignId: string): EvidenceItem[] => evidenceRows.filter((e) => e.campaign_id === campaignId).map(evidenceItem);
    return {
      merchantId,
      owedWon: ledger.reduce((s, e) => s + Number(e.amount_won), 0),
      reliefs: reliefs.map((r) => ({
        campaignId: r.campaign_id,
        tier: r.tier,
        assessedLossWon: Number(r.assessed_loss_won),
        tierAmountWon: Number(r.tier_amount_won),
        explanation: r.explanation,
        evidence: evidenceFor(r.campaign_id),
        review:
          r.tier === 'REVIEW'
            ? {
                status: r.review_status,
                additionalAmountWon: Number(r.additional_amount_won),
                reviewEventId: r.review_event_id,
                reviewedAt: iso(r.reviewed_at),
                evidenceIds: r.review_evidence_ids,
              }
            : null,
        owedWon: Number(r.owed_won ?? 0),
        reportEventId: r.report_event_id,
        reportedAt: new Date(r.reported_at).toISOString(),
        decidedAt: new Date(r.decided_at).toISOString(),
      })),
      ledger: ledger.map((e) => ({
        entryId: e.entry_id,
        campaignId: e.campaign_id,
        kind: e.kind,
        amountWon: Number(e.amount_won),
        sourceEventId: e.source_event_id,
        createdAt: new Date(e.created_at).toISOString(),
      })),
      reports: reports.map((r) => r.answer),
      reviewDecisions: reviews.map((r) => ({ ...r.answer, campaignId: r.campaign_id })),
      evidenceSubmissions: submissions.map((s) => s.answer),
      // evidence held for campaigns where the merchant's report is not decided (yet)
      heldEvidence: evidenceRows
        .filter((e) => !reliefs.some((r) => r.campaign_id === e.campaign_id))
        .map((e) => ({ campaignId: e.campaign_id, ...evidenceItem(e) })),
    };
  }

  /** Totals per campaign and tier, the ledger's totals beside them, and rejected reports by reason. */
  async summary(campaignId: string | undefined) {
    const [tiers, ledger, rejected] = await Promise.all([
      this.ds.query(
        `SELECT campaign_id, tier, review_status, count(*)::bigint AS merchants, sum(tier_amount_won)::bigint AS tier_won, sum(additional_amount_won)::bigint AS additional_won
           FROM relief WHERE ($1::text IS NULL OR campaign_id = $1) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
        [campaignId ?? null],
      ) as Promise<
        { campaign_id: string; tier: string; review_status: string; merchants: string; tier_won: string; additional_won: string }[]
      >,
      this.ds.query(
        `SELECT campaign_id, kind, count(*)::bigint AS entries, sum(amount_won)::bigint AS won FROM payout_ledger
          WHERE ($1::text IS NULL OR campaign_id = $1) GROUP BY 1, 2`,
        [campaignId ?? null],
      ) as Promise<{ campaign_id: string; kind: string; entries: string; won: string }[]>,
      this.ds.query(
        `SELECT campaign_id, reason, count(*)::bigint AS n FROM relief_report
          WHERE status = 'REJECTED' AND ($1::text IS NULL OR campaign_id = $1) GROUP BY 1, 2`,
        [campaignId ?? null],
      ) as Promise<{ campaign_id: string; reason: string; n: string }[]>,
    ]);
    const blank = () => ({
      tiers: {
        T30K: { merchants: 0, amountWon: 0 },
        T50K: { merchants: 0, amountWon: 0 },
        REVIEW: { merchants: 0, pending: 0, approved: 0, declined: 0, amountWon: 0 },
      },
      merchants: 0,
      owedWon: 0,
      ledger: { entries: 0, tierPaymentsWon: 0, reviewAdditionsWon: 0, totalWon: 0 },
      balanced: true,
      rejectedReports: {} as Record<string, number>,
    });
    const campaigns: Record<string, ReturnType<typeof blank>> = {};
    const of = (id: string) => (campaigns[id] ??= blank());
    for (const r of tiers) {
      const c = of(r.campaign_id);
      const n = Number(r.merchants);
      const won = Number(r.tier_won) + Number(r.additional_won);
      c.merchants += n;
      c.owedWon += won;
      if (r.tier === 'T30K' || r.tier === 'T50K') {
        c.tiers[r.tier].merchants += n;
        c.tiers[r.tier].amountWon += won;
      } else {
        const t = c.tiers.REVIEW;
        t.merchants += n;
        t.amountWon += won;
        if (r.review_status === 'PENDING') t.pending += n;
        if (r.review_status === 'APPROVED') t.approved += n;
        if (r.review_status === 'DECLINED') t.declined += n;
      }
    }
    for (const r of ledger) {
      const c = of(r.campaign_id).ledger;
      c.entries += Number(r.entries);
      c.totalWon += Number(r.won);
      if (r.kind === 'TIER_PAYMENT') c.tierPaymentsWon += Number(r.won);
      else c.reviewAdditionsWon += Number(r.won);
    }
    for (const r of rejected) of(r.campaign_id).rejectedReports[r.reason] = Number(r.n);
    // The ledger balances when it owes exactly what the decided reliefs say.
    for (const c of Object.values(campaigns)) c.balanced = c.ledger.totalWon === c.owedWon;
    return { campaigns };
  }
}
