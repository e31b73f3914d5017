import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { WaitReason, waitReason } from '@platform/contracts';
import { Batch, Inbound, OnBatch, TxContext } from '@platform/messaging';
import { applyReviewDecision, judgeReviewAmount, ReviewCase } from '@platform/rules';
import { AnsweringHandler } from '../answers/answering.handler';
import { LedgerRepository } from '../ledger/ledger.repository';
import { remainingWait } from '../waiting/waiting.repository';
import { AppliedReview, ReviewAnswer, ReviewRepository, StoredReviewAnswer } from './review.repository';

type Decision = Inbound<'merchantReviewDecided'>;

const notInReview = (m: Decision): WaitReason => waitReason('NOT_IN_REVIEW', `merchant ${m.value.merchantId} has no case in review (yet)`);

/**
 * Applies committee decisions to merchants in review: APPROVED (with its additional amount, into
 * the payout ledger) or DECLINED, once per case, recording the evidence relied on; otherwise
 * REJECTED with NOT_IN_REVIEW, ALREADY_DECIDED, INVALID_AMOUNT, or EVIDENCE_REQUIRED /
 * UNKNOWN_EVIDENCE (an approval must name proof of damage the case holds; the case stays pending
 * for a decision that does, and the committee tool reads the reason on review.applied). A decision that overtook its merchant's report waits for it
 * (bounded by RELIEF_REVIEW_WAIT_MS) before it is NOT_IN_REVIEW. One answer per decision event.
 */
@Controller()
export class ReviewHandler extends AnsweringHandler {
  constructor(
    private readonly reviews: ReviewRepository,
    private readonly ledger: LedgerRepository,
  ) {
    super();
  }

  @OnBatch('merchantReviewDecided')
  async apply(@Payload() all: Batch<'merchantReviewDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const round = await this.open(ctx, 'REVIEW', all, 'committee decision', {
      lock: (messages) => this.reviews.lockCases(ctx, [...new Set(messages.map((m) => m.value.merchantId))]),
      stored: (eventIds) => this.reviews.answers(ctx, eventIds),
    });
    if (!round) return;
    const { answers, fresh, locked: cases } = round;

    // Only a well-formed decision for a merchant with no case at all may have to wait.
    const mayWait = [...fresh.values()].filter((m) => !cases.get(m.value.merchantId)?.length && judgeReviewAmount(m.value) !== null);
    const firstSeen = await this.waiting.firstSeen(
      ctx,
      'REVIEW',
      mayWait.map((m) => m.value.eventId),
    );

    const decidedAt = ctx.now.toISOString();
    const deferred = new Map<string, number>();
    const applied: AppliedReview[] = [];
    const toStore: StoredReviewAnswer[] = [];
    for (const m of fresh.values()) {
      const { remainingMs, libraryMaxWaitMs } = remainingWait(
        firstSeen.get(m.value.eventId) ?? ctx.now,
        ctx.now,
        this.config.RELIEF_REVIEW_WAIT_MS,
      );
      const before: readonly ReviewCase[] = cases.get(m.value.merchantId) ?? [];
      const { outcome, cases: after } = applyReviewDecision(before, m.value, remainingMs <= 0);
      cases.set(m.value.merchantId, [...after]);
      const base = { eventId: m.value.eventId, merchantId: m.value.merchantId, decidedAt };
      let answer: ReviewAnswer;
      let campaignId: string | null;
      switch (outcome.kind) {
        case 'WAIT':
          deferred.set(m.value.eventId, libraryMaxWaitMs);
          continue;
        case 'APPLIED':
          applied.push({
            campaignId: outcome.campaignId,
            merchantId: m.value.merchantId,
            status: outcome.status,
            additionalAmountWon: outcome.additionalAmountWon,
            reviewEventId: m.value.eventId,
            evidenceIds: outcome.evidenceIds,
          });
          answer = {
            ...base,
            status: outcome.status,
            additionalAmountWon: outcome.additionalAmountWon,
            totalAmountWon: outcome.totalAmountWon,
            evidenceIds: outcome.evidenceIds,
          };
          campaignId = outcome.campaignId;
          break;
        case 'REJECTED':
          answer = { ...base, status: 'REJECTED', reason: outcome.reason, additionalAmountWon: 0, totalAmountWon: outcome.totalAmountWon };
          campaignId = outcome.campaignId;
          break;
      }
      toStore.push({
        answer,
        campaignId,
        approved: m.value.approved,
        requestedAmountWon: m.value.additionalAmountWon,
        committeeDecidedAt: m.value.decidedAt,
      });
    }

    await this.reviews.applyDecisions(ctx, applied);
    await this.ledger.append(
      ctx,
      applied
        .filter((a) => a.status === 'APPROVED')
        .map((a) => ({
          campaignId: a.campaignId,
          merchantId: a.merchantId,
          kind: 'REVIEW_ADDITION' as const,
          amountWon: a.additionalAmountWon,
          sourceEventId: a.reviewEventId,
        })),
    );
    for (const [id, a] of await this.reviews.saveAnswers(ctx, toStore)) answers.set(id, a);
    // Decisions that waited for their merchant's report are decided now.
    await this.waiting.forget(
      ctx,
      'REVIEW',
      [...fresh.keys()].filter((id) => !deferred.has(id)),
    );

    this.deliver(ctx, 'reliefReviewApplied', round, deferred, notInReview);
  }
}
