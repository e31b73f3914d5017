import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { waitReason } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { assessDamageReport, AssessmentVerdict } from '@platform/rules';
import { AnsweringHandler } from '../answers/answering.handler';
import { CampaignRepository } from '../campaigns/campaign.repository';
import { LedgerRepository } from '../ledger/ledger.repository';
import { remainingWait } from '../waiting/waiting.repository';
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
export class ReportHandler extends AnsweringHandler {
  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly reports: ReportRepository,
    private readonly ledger: LedgerRepository,
  ) {
    super();
  }

  @OnBatch('merchantDamageReported')
  async decide(@Payload() all: Batch<'merchantDamageReported'>, @Ctx() ctx: TxContext): Promise<void> {
    const round = await this.open(ctx, 'REPORT', all, 'damage report', { stored: (eventIds) => this.reports.answers(ctx, eventIds) });
    if (!round) return;
    const { answers, fresh } = round;

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

    this.deliver(ctx, 'reliefDecided', round, deferred, (m) =>
      waitReason('UNKNOWN_CAMPAIGN', `campaign ${m.value.campaignId} is not defined (yet)`),
    );
  }
}
