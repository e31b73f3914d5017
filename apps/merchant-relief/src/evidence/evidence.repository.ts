import { Injectable } from '@nestjs/common';
import { PayloadOf } from '@platform/contracts';
import { TxContext } from '@platform/messaging';
import { EvidenceCaseState, EvidenceDocument } from '@platform/rules';
import { AnswerRepository } from '../answers/answer.repository';

export type EvidenceAnswer = PayloadOf<'reliefEvidenceDecided'>;

/** (campaign, merchant) as one map key. */
export const caseKey = (campaignId: string, merchantId: string): string => `${campaignId}\u0000${merchantId}`;

export interface CaseEvidence {
  state: EvidenceCaseState;
  held: EvidenceDocument[];
}

export interface NewEvidence extends EvidenceDocument {
  campaignId: string;
  merchantId: string;
  sourceEventId: string;
}

@Injectable()
export class EvidenceRepository {
  private readonly stored = new AnswerRepository<EvidenceAnswer>('evidence_submission');

  /**
   * Where each merchant's case stands and the evidence it holds. Existing cases are locked (the
   * review handler locks the same rows), so no evidence is added to a case while it is being decided.
   */
  async lockCases(ctx: TxContext, keys: { campaignId: string; merchantId: string }[]): Promise<Map<string, CaseEvidence>> {
    const out = new Map<string, CaseEvidence>();
    if (keys.length === 0) return out;
    const cs = keys.map((k) => k.campaignId);
    const ms = keys.map((k) => k.merchantId);
    const cases = await ctx.query<{ campaign_id: string; merchant_id: string; tier: string; review_status: string }>(
      `SELECT r.campaign_id, r.merchant_id, r.tier, r.review_status
         FROM relief r JOIN unnest($1::text[], $2::text[]) AS t(c, m) ON r.campaign_id = t.c AND r.merchant_id = t.m
        ORDER BY r.campaign_id, r.merchant_id FOR UPDATE OF r`,
      [cs, ms],
    );
    for (const k of keys) out.set(caseKey(k.campaignId, k.merchantId), { state: 'NO_CASE', held: [] });
    for (const r of cases) {
      const state: EvidenceCaseState = r.tier !== 'REVIEW' ? 'NOT_IN_REVIEW' : (r.review_status as EvidenceCaseState);
      out.set(caseKey(r.campaign_id, r.merchant_id), { state, held: [] });
    }
    const docs = await ctx.query<{ campaign_id: string; merchant_id: string; document_id: string; sha256: string }>(
      `SELECT e.campaign_id, e.merchant_id, e.document_id, e.sha256
         FROM relief_evidence e JOIN unnest($1::text[], $2::text[]) AS t(c, m) ON e.campaign_id = t.c AND e.merchant_id = t.m
        ORDER BY e.received_at, e.document_id`,
      [cs, ms],
    );
    for (const d of docs) out.get(caseKey(d.campaign_id, d.merchant_id))?.held.push({ documentId: d.document_id, sha256: d.sha256 });
    return out;
  }

  async insert(ctx: TxContext, docs: NewEvidence[]): Promise<void> {
    if (docs.length === 0) return;
    const col = <T>(f: (d: NewEvidence) => T): T[] => docs.map(f);
    await ctx.query(
      `INSERT INTO relief_evidence (campaign_id, merchant_id, document_id, sha256, source_event_id, received_at)
       SELECT t.*, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS t
       ON CONFLICT DO NOTHING`,
      [
        col((d) => d.campaignId),
        col((d) => d.merchantId),
        col((d) => d.documentId),
        col((d) => d.sha256),
        col((d) => d.sourceEventId),
        ctx.now,
      ],
    );
  }

  answers(ctx: TxContext, eventIds: string[]): Promise<Map<string, EvidenceAnswer>> {
    return this.stored.find(ctx, eventIds);
  }

  /** Stores answers; one stored first by another transaction for the same event wins. */
  saveAnswers(ctx: TxContext, answers: { answer: EvidenceAnswer; submittedAt: string }[]): Promise<Map<string, EvidenceAnswer>> {
    return this.stored.save(
      ctx,
      `INSERT INTO evidence_submission (event_id, campaign_id, merchant_id, status, reason, submitted_at, answer, decided_at)
       SELECT t.*, $8::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::jsonb[]) AS t
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      answers,
      [
        (a) => a.answer.eventId,
        (a) => a.answer.campaignId,
        (a) => a.answer.merchantId,
        (a) => a.answer.status,
        (a) => a.answer.reason ?? null,
        (a) => a.submittedAt,
      ],
    );
  }
}
