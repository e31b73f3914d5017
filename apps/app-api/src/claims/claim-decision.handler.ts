import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { ClaimDecision, ClaimRepository } from './claim.repository';

/**
 * Learns every claim decision (compensation.claim.decided.v1): records it for lookups and the
 * timeline, and settles the intake row of a claim that came through this door. Idempotent: a
 * redelivered decision finds its row and changes nothing.
 */
@Controller()
export class ClaimDecisionHandler {
  constructor(private readonly claims: ClaimRepository) {}

  @OnBatch('claimDecided')
  async record(@Payload() messages: Batch<'claimDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const byEvent = new Map<string, ClaimDecision>();
    for (const m of messages) if (!byEvent.has(m.value.eventId)) byEvent.set(m.value.eventId, m.value);
    await this.claims.recordDecisions(ctx, [...byEvent.values()]);
  }
}
