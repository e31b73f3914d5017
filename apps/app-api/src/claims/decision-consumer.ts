import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayloadOf } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';

/**
 * Learns every claim decision (compensation.claim.decided.v1): records it for lookups and the
 * timeline, and settles the intake row of a claim that came through this door. Idempotent: a
 * redelivered decision finds its row and changes nothing.
 */
@Controller()
export class DecisionConsumer {
  @OnBatch('claimDecided')
  async record(@Payload() messages: Batch<'claimDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    const byEvent = new Map<string, PayloadOf<'claimDecided'>>();
    for (const m of messages) if (!byEvent.has(m.value.eventId)) byEvent.set(m.value.eventId, m.value);
    const ds = [...byEvent.values()];
    const col = <T>(f: (d: PayloadOf<'claimDecided'>) => T): T[] => ds.map(f);
    await ctx.query(
      `INSERT INTO claim_decision (event_id, claim_id, campaign_id, account_id, status, reason, makers_member, requested_at, decided_at,
                                   rewards, recorded_at)
       SELECT t.*, $11::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[],
                                                 $8::timestamptz[], $9::timestamptz[], $10::jsonb[]) AS t
       ON CONFLICT (event_id) DO NOTHING`,
      [
        col((d) => d.eventId),
        col((d) => d.claimId),
        col((d) => d.campaignId),
        col((d) => d.accountId),
        col((d) => d.status),
        col((d) => d.reason ?? null),
        col((d) => d.makersMember),
        col((d) => d.requestedAt),
        col((d) => d.decidedAt),
        col((d) => (d.rewards ? JSON.stringify(d.rewards) : null)),
        ctx.now,
      ],
    );
    await ctx.query(
      `UPDATE claim_intake i SET status = d.status, reason = d.reason, claim_id = d.claim_id, decided_at = d.decided_at, settled_at = $2
         FROM claim_decision d
        WHERE d.event_id = ANY($1) AND i.event_id = d.event_id AND i.status = 'PENDING'`,
      [col((d) => d.eventId), ctx.now],
    );
  }
}
