import { Injectable } from '@nestjs/common';
import { PayloadOf } from '@platform/contracts';
import { TxContext } from '@platform/messaging';
import { EvidenceDocument, ReliefTierName } from '@platform/rules';
import { AnswerRepository, numericOrNull } from '../answers/answer.repository';

export type ReliefAnswer = PayloadOf<'reliefDecided'>;

export interface NewRelief {
  campaignId: string;
  merchantId: string;
  reportEventId: string;
  assessedLossWon: number;
  tier: ReliefTierName;
  tierAmountWon: number;
  reportedAt: string;
  explanation: NonNullable<ReliefAnswer['explanation']>;
  /** Proof of damage that came with the report. */
  evidence: readonly EvidenceDocument[];
}

export interface StoredReportAnswer {
  answer: ReliefAnswer;
  assessedLossWon: number | null | undefined;
  reportedAt: string;
}

@Injectable()
export class ReportRepository {
  private readonly stored = new AnswerRepository<ReliefAnswer>('relief_report');

  /** Answers already given to these report events. */
  answers(ctx: TxContext, eventIds: string[]): Promise<Map<string, ReliefAnswer>> {
    return this.stored.find(ctx, eventIds);
  }

  /**
   * Tries to make each report the merchant's relief in its campaign. The primary key allows one
   * per merchant per campaign, so of competing reports (here or in another transaction) exactly
   * one wins; returns the report event ids that won. Rows go in key order (no lock-order deadlocks).
   */
  async insertReliefs(ctx: TxContext, rs: NewRelief[]): Promise<Set<string>> {
    if (rs.length === 0) return new Set();
    const col = <T>(f: (r: NewRelief) => T): T[] => rs.map(f);
    const rows = await ctx.query<{ report_event_id: string }>(
      `INSERT INTO relief (campaign_id, merchant_id, report_event_id, assessed_loss_won, tier, tier_amount_won, review_status, reported_at, decided_at, explanation, model_version)
       SELECT t.c, t.m, t.e, t.loss, t.tier, t.amount, CASE WHEN t.tier = 'REVIEW' THEN 'PENDING' ELSE 'NONE' END, t.reported_at, $8, t.explanation, t.model_version
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[], $7::timestamptz[], $9::jsonb[], $10::text[])
              AS t(c, m, e, loss, tier, amount, reported_at, explanation, model_version)
        ORDER BY t.c, t.m
       ON CONFLICT DO NOTHING RETURNING report_event_id`,
      [
        col((r) => r.campaignId),
        col((r) => r.merchantId),
        col((r) => r.reportEventId),
        col((r) => r.assessedLossWon),
        col((r) => r.tier),
        col((r) => r.tierAmountWon),
        col((r) => r.reportedAt),
        ctx.now,
        col((r) => JSON.stringify(r.explanation)),
        col((r) => r.explanation.modelVersion),
      ],
    );
    return new Set(rows.map((r) => r.report_event_id));
  }

  /**
   * Attaches the proof of damage that came with the winning reports to their cases. Evidence the
   * merchant submitted before its report was decided stays as it is (a document id keeps its hash).
   */
  async attachEvidence(ctx: TxContext, rs: NewRelief[]): Promise<void> {
    const docs = rs.flatMap((r) =>
      r.evidence.map((d) => ({ c: r.campaignId, m: r.merchantId, d: d.documentId, h: d.sha256, e: r.reportEventId })),
    );
    if (docs.length === 0) return;
    await ctx.query(
      `INSERT INTO relief_evidence (campaign_id, merchant_id, document_id, sha256, source_event_id, received_at)
       SELECT t.*, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t
       ON CONFLICT DO NOTHING`,
      [docs.map((x) => x.c), docs.map((x) => x.m), docs.map((x) => x.d), docs.map((x) => x.h), docs.map((x) => x.e), ctx.now],
    );
  }

  /**
   * Stores answers; an answer another transaction stored first for the same event wins (returned
   * in the map in place of ours), so one event never gets two different answers.
   */
  saveAnswers(ctx: TxContext, answers: StoredReportAnswer[]): Promise<Map<string, ReliefAnswer>> {
    return this.stored.save(
      ctx,
      `INSERT INTO relief_report (event_id, campaign_id, merchant_id, assessed_loss_won, status, tier, amount_won, reason, reported_at, answer, decided_at)
       SELECT t.*, $11::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::numeric[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::timestamptz[], $10::jsonb[]) AS t
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      answers,
      [
        (a) => a.answer.eventId,
        (a) => a.answer.campaignId,
        (a) => a.answer.merchantId,
        (a) => numericOrNull(a.assessedLossWon),
        (a) => a.answer.status,
        (a) => a.answer.tier ?? null,
        (a) => a.answer.amountWon,
        (a) => a.answer.reason ?? null,
        (a) => a.reportedAt,
      ],
    );
  }
}
