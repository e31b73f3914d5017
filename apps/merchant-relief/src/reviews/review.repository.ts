import { Injectable } from '@nestjs/common';
import { PayloadOf } from '@platform/contracts';
import { TxContext } from '@platform/messaging';
import { ReviewCase, ReviewState } from '@platform/rules';
import { AnswerRepository, numericOrNull } from '../answers/answer.repository';

export type ReviewAnswer = PayloadOf<'reliefReviewApplied'>;

export interface AppliedReview {
  campaignId: string;
  merchantId: string;
  status: 'APPROVED' | 'DECLINED';
  additionalAmountWon: number;
  reviewEventId: string;
  /** The documents the decision relied on. */
  evidenceIds: string[];
}

export interface StoredReviewAnswer {
  answer: ReviewAnswer;
  campaignId: string | null;
  approved: boolean;
  requestedAmountWon: number | null | undefined;
  committeeDecidedAt: string;
}

@Injectable()
export class ReviewRepository {
  private readonly stored = new AnswerRepository<ReviewAnswer>('review_decision');

  /**
   * The merchants' cases referred to review (tier REVIEW), locked: decisions for one merchant are
   * applied one at a time, whichever transaction (partition or deferred retry) they arrive in.
   * Each case comes with its proof of damage (evidence is attached under the same row lock).
   */
  async lockCases(ctx: TxContext, merchantIds: string[]): Promise<Map<string, ReviewCase[]>> {
    const out = new Map<string, ReviewCase[]>();
    if (merchantIds.length === 0) return out;
    const rows = await ctx.query<{
      campaign_id: string;
      merchant_id: string;
      review_status: ReviewState;
      tier_amount_won: string;
      additional_amount_won: string;
      decided_at: Date;
      evidence_ids: string[];
    }>(
      `SELECT r.campaign_id, r.merchant_id, r.review_status, r.tier_amount_won, r.additional_amount_won, r.decided_at,
              ARRAY(SELECT e.document_id FROM relief_evidence e WHERE e.campaign_id = r.campaign_id AND e.merchant_id = r.merchant_id ORDER BY e.document_id) AS evidence_ids
         FROM relief r WHERE r.merchant_id = ANY($1) AND r.tier = 'REVIEW'
        ORDER BY r.campaign_id, r.merchant_id FOR UPDATE OF r`,
      [merchantIds],
    );
    for (const r of rows) {
      const list = out.get(r.merchant_id) ?? [];
      list.push({
        campaignId: r.campaign_id,
        state: r.review_status,
        tierAmountWon: Number(r.tier_amount_won),
        additionalAmountWon: Number(r.additional_amount_won),
        referredAt: new Date(r.decided_at),
        evidenceIds: r.evidence_ids,
      });
      out.set(r.merchant_id, list);
    }
    return out;
  }

  answers(ctx: TxContext, eventIds: string[]): Promise<Map<string, ReviewAnswer>> {
    return this.stored.find(ctx, eventIds);
  }

  /** Closes the cases; every one must still have been pending (we hold their locks). */
  async applyDecisions(ctx: TxContext, applied: AppliedReview[]): Promise<void> {
    if (applied.length === 0) return;
    const col = <T>(f: (a: AppliedReview) => T): T[] => applied.map(f);
    // (a top-level UPDATE through TypeORM returns [rows, count]; the CTE keeps the result a plain row set)
    const [row] = await ctx.query<{ n: number }>(
      `WITH u AS (
         UPDATE relief r SET review_status = t.status, additional_amount_won = t.amount, review_event_id = t.e, reviewed_at = $6,
                review_evidence_ids = ARRAY(SELECT jsonb_array_elements_text(t.evidence))
           FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $7::jsonb[]) AS t(c, m, status, amount, e, evidence)
          WHERE r.campaign_id = t.c AND r.merchant_id = t.m AND r.tier = 'REVIEW' AND r.review_status = 'PENDING'
         RETURNING r.merchant_id)
       SELECT count(*)::int AS n FROM u`,
      [
        col((a) => a.campaignId),
        col((a) => a.merchantId),
        col((a) => a.status),
        col((a) => a.additionalAmountWon),
        col((a) => a.reviewEventId),
        ctx.now,
        col((a) => JSON.stringify(a.evidenceIds)),
      ],
    );
    if (row?.n !== applied.length) throw new Error(`review cases changed under lock: applied ${row?.n ?? 0} of ${applied.length}`);
  }

  /** Stores answers; one stored first by another transaction for the same event wins. */
  saveAnswers(ctx: TxContext, answers: StoredReviewAnswer[]): Promise<Map<string, ReviewAnswer>> {
    return this.stored.save(
      ctx,
      `INSERT INTO review_decision (event_id, merchant_id, campaign_id, approved, requested_amount_won, status, reason,
                                    additional_amount_won, total_amount_won, committee_decided_at, answer, decided_at)
       SELECT t.*, $12::timestamptz
         FROM unnest($1::text[], $2::text[], $3::text[], $4::bool[], $5::numeric[], $6::text[], $7::text[], $8::bigint[], $9::bigint[],
                     $10::timestamptz[], $11::jsonb[]) AS t
       ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      answers,
      [
        (a) => a.answer.eventId,
        (a) => a.answer.merchantId,
        (a) => a.campaignId,
        (a) => a.approved,
        (a) => numericOrNull(a.requestedAmountWon),
        (a) => a.answer.status,
        (a) => a.answer.reason ?? null,
        (a) => a.answer.additionalAmountWon,
        (a) => a.answer.totalAmountWon,
        (a) => a.committeeDecidedAt,
      ],
    );
  }
}
