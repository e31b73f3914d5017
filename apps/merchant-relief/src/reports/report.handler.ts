import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitReason } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { assessDamageReport, AssessmentVerdict } from '@platform/rules';
import { CampaignRepository } from '../campaigns/campaign.repository';
import type { ReliefConfig } from '../config';
import { LedgerRepository } from '../ledger/ledger.repository';
import { RELIEF_CONFIG } from '../tokens';
import { unanswered } from '../answers/answer.repository';
import { RequestFingerprintRepository } from '../fingerprints/request-fingerprint.repository';
import { remainingWait, WaitingRepository } from '../waiting/waiting.repository';
import { NewRelief, ReliefAnswer, ReportRepository, StoredReportAnswer } from './report.repository';

/**
 * Decides damage reports (R10): the assessed loss (the report's upstream figure, or the campaign's
 * assessment model applied to its raw facts), the tier from it with the campaign's tiers, one
 * relief per merchant per campaign (the database's primary key picks the winner among competing
 * reports), the tier payment into the payout ledger, and one answer per report event that never
 * changes: the same event again (redelivery, a producer retry) gets the stored answer again.
 * Every answer carries its explanation; the winning report's proof of damage is attached to its case.
 */
@Controller()
export class ReportHandler {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly reports: ReportRepository,
    private readonly ledger: LedgerRepository,
    private readonly waiting: WaitingRepository,
    private readonly fingerprints: RequestFingerprintRepository,
    @Inject(RELIEF_CONFIG) private readonly config: ReliefConfig,
  ) {}

  @OnBatch('merchantDamageReported')
  async decide(@Payload() all: Batch<'merchantDamageReported'>, @Ctx() ctx: TxContext): Promise<void> {
    // The same eventId with another body is not a retry: parked, never answered as the first one.
    const messages = await this.fingerprints.parkReused(ctx, 'REPORT', all, 'damage report');
    if (messages.length === 0) return;
    const answers = await this.reports.answers(ctx, [...new Set(messages.map((m) => m.value.eventId))]);
    // The first message of each event not answered yet, in offset order.
    const fresh = unanswered(messages, answers);

    const campaigns = await this.campaigns.findMany(ctx.manager, [...new Set([...fresh.values()].map((m) => m.value.campaignId))]);
    // A campaign we have not heard of may still be on its way: wait for it, within a bound.
    const unknown = [...fresh.values()].filter((m) => !campaigns.has(m.value.campaignId));
    const firstSeen = await this.waiting.firstSeen(
      ctx,
      'REPORT',
      unknown.map((m) => m.value.eventId),
    );
    const deferred = new Map<string, number>();
    for (const m of unknown) {
      const seen = firstSeen.get(m.value.eventId) ?? ctx.now;
      const { remainingMs, libraryMaxWaitMs } = remainingWait(seen, ctx.now, this.config.RELIEF_UNKNOWN_CAMPAIGN_WAIT_MS);
      if (remainingMs > 0) {
        deferred.set(m.value.eventId, libraryMaxWaitMs);
        fresh.delete(m.value.eventId);
      }
    }

    const verdicts = new Map<string, AssessmentVerdict>();
    for (const m of fresh.values()) verdicts.set(m.value.eventId, assessDamageReport(m.value, campaigns.get(m.value.campaignId)));

    // One relief per merchant per campaign: the first eligible report of a merchant in this chunk
    // competes in the database (against earlier chunks and other transactions); later ones lost.
    const contenders = new Map<string, NewRelief>();
    for (const m of fresh.values()) {
      const v = verdicts.get(m.value.eventId);
      const key = `${m.value.campaignId}\u0000${m.value.merchantId}`;
      if (!v?.ok || contenders.has(key)) continue;
      contenders.set(key, {
        campaignId: m.value.campaignId,
        merchantId: m.value.merchantId,
        reportEventId: m.value.eventId,
        assessedLossWon: v.assessedLossWon,
        tier: v.tier,
        tierAmountWon: v.amountWon,
        reportedAt: m.value.reportedAt,
        explanation: v.explanation,
        evidence: m.value.evidence ?? [],
      });
    }
    const won = await this.reports.insertReliefs(ctx, [...contenders.values()]);
    await this.reports.attachEvidence(
      ctx,
      [...contenders.values()].filter((r) => won.has(r.reportEventId)),
    );
    await this.ledger.append(
      ctx,
      [...contenders.values()]
        .filter((r) => won.has(r.reportEventId))
        .map((r) => ({
          campaignId: r.campaignId,
          merchantId: r.merchantId,
          kind: 'TIER_PAYMENT' as const,
          amountWon: r.tierAmountWon,
          sourceEventId: r.reportEventId,
        })),
    );

    const decidedAt = ctx.now.toISOString();
    const toStore: StoredReportAnswer[] = [];
    for (const m of fresh.values()) {
      const v = verdicts.get(m.value.eventId);
      const base = { eventId: m.value.eventId, merchantId: m.value.merchantId, campaignId: m.value.campaignId, decidedAt };
      let answer: ReliefAnswer;
      if (!v) continue;
      if (!v.ok) answer = { ...base, status: 'REJECTED', reason: v.reason, amountWon: 0, explanation: v.explanation };
      else if (!won.has(m.value.eventId)) {
        // The assessment stands, but the merchant already has its relief in this campaign.
        const explanation = {
          ...v.explanation,
          reason: 'DUPLICATE_REPORT' as const,
          amountWon: 0,
          detail: 'one relief per merchant per campaign: another report was decided first',
        };
        answer = { ...base, status: 'REJECTED', reason: 'DUPLICATE_REPORT', amountWon: 0, explanation };
      } else answer = { ...base, status: 'DECIDED', tier: v.tier, amountWon: v.amountWon, explanation: v.explanation };
      toStore.push({ answer, assessedLossWon: m.value.assessedLossWon, reportedAt: m.value.reportedAt });
    }
    for (const [id, a] of await this.reports.saveAnswers(ctx, toStore)) answers.set(id, a);
    // Reports that waited for their campaign are decided now.
    await this.waiting.forget(ctx, 'REPORT', [...fresh.keys()]);

    // Every message gets its event's answer (the same one, however often the event comes), or waits.
    for (const m of messages) {
      const a = answers.get(m.value.eventId);
      const waitMs = deferred.get(m.value.eventId);
      if (a) ctx.emit('reliefDecided', a, m);
      else if (waitMs !== undefined)
        ctx.retryLater(m, waitReason('UNKNOWN_CAMPAIGN', `campaign ${m.value.campaignId} is not defined (yet)`), waitMs);
      else throw new Error(`report ${m.value.eventId} was neither answered nor deferred`);
    }
  }
}
