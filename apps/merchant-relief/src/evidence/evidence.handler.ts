import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { judgeEvidenceSubmission } from '@platform/rules';
import { AnsweringHandler } from '../answers/answering.handler';
import { caseKey, EvidenceAnswer, EvidenceRepository, NewEvidence } from './evidence.repository';

/**
 * Records proof of damage submitted after the report (merchant.damage.evidence.submitted.v1):
 * document ids and hashes on the merchant's case, all or nothing per event, answered on
 * merchant.relief.evidence.decided.v1 (RECORDED, or REJECTED with NOT_IN_REVIEW, ALREADY_DECIDED
 * or EVIDENCE_CONFLICT). Evidence for a merchant whose report is not decided yet is held for it.
 * One answer per event, like every other inbound event here.
 */
@Controller()
export class EvidenceHandler extends AnsweringHandler {
  constructor(private readonly evidence: EvidenceRepository) {
    super();
  }

  @OnBatch('merchantEvidenceSubmitted')
  async record(@Payload() all: Batch<'merchantEvidenceSubmitted'>, @Ctx() ctx: TxContext): Promise<void> {
    const round = await this.open(ctx, 'EVIDENCE', all, 'evidence submission', {
      lock: (messages) => {
        const keys = new Map(
          messages.map((m) => [
            caseKey(m.value.campaignId, m.value.merchantId),
            { campaignId: m.value.campaignId, merchantId: m.value.merchantId },
          ]),
        );
        return this.evidence.lockCases(
          ctx,
          [...keys.values()].sort((a, b) => caseKey(a.campaignId, a.merchantId).localeCompare(caseKey(b.campaignId, b.merchantId))),
        );
      },
      stored: (eventIds) => this.evidence.answers(ctx, eventIds),
    });
    if (!round) return;
    const { messages, answers, fresh, locked: cases } = round;

    const decidedAt = ctx.now.toISOString();
    const toInsert: NewEvidence[] = [];
    const toStore: { answer: EvidenceAnswer; submittedAt: string }[] = [];
    for (const m of fresh.values()) {
      const { campaignId, merchantId, eventId } = m.value;
      const c = cases.get(caseKey(campaignId, merchantId)) ?? { state: 'NO_CASE' as const, held: [] };
      const v = judgeEvidenceSubmission(c.state, c.held, m.value.evidence);
      const base = { eventId, merchantId, campaignId, decidedAt };
      if (v.ok) {
        // Later submissions in this chunk see these documents as held.
        c.held.push(...v.add);
        toInsert.push(...v.add.map((d) => ({ ...d, campaignId, merchantId, sourceEventId: eventId })));
        toStore.push({ answer: { ...base, status: 'RECORDED', evidenceIds: v.evidenceIds }, submittedAt: m.value.submittedAt });
      } else {
        toStore.push({
          answer: { ...base, status: 'REJECTED', reason: v.reason, evidenceIds: c.held.map((d) => d.documentId), detail: v.detail },
          submittedAt: m.value.submittedAt,
        });
      }
    }
    await this.evidence.insert(ctx, toInsert);
    for (const [id, a] of await this.evidence.saveAnswers(ctx, toStore)) answers.set(id, a);

    for (const m of messages) {
      const a = answers.get(m.value.eventId);
      if (!a) throw new Error(`evidence submission ${m.value.eventId} was not answered`);
      ctx.emit('reliefEvidenceDecided', a, m);
    }
  }
}
