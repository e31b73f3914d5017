import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayloadOf, TopicKey } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';

interface Entry {
  naturalKey: string;
  accountId: string;
  occurredAt: string;
}

/**
 * Feeds the timeline read model from the platform's grant events (and the expiry reminders sent
 * about them). Each event is kept once by its
 * natural key (the entitlement, coupon, pass or request it is about), so redelivery, replays and
 * the same event from two partitions change nothing; the timeline folds them when read.
 */
@Controller()
export class TimelineConsumer {
  @OnBatch('entitlementGranted')
  async granted(@Payload() ms: Batch<'entitlementGranted'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'entitlementGranted', ms, (v) => ({ naturalKey: v.entitlementId, accountId: v.accountId, occurredAt: v.grantedAt }));
  }

  @OnBatch('entitlementActivated')
  async activated(@Payload() ms: Batch<'entitlementActivated'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'entitlementActivated', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.activatedAt,
    }));
  }

  @OnBatch('entitlementExpired')
  async entitlementExpired(@Payload() ms: Batch<'entitlementExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'entitlementExpired', ms, (v) => ({ naturalKey: v.entitlementId, accountId: v.accountId, occurredAt: v.expiredAt }));
  }

  @OnBatch('entitlementExpiringSoon')
  async entitlementExpiringSoon(@Payload() ms: Batch<'entitlementExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'entitlementExpiringSoon', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.remindedAt,
    }));
  }

  @OnBatch('couponIssued')
  async couponIssued(@Payload() ms: Batch<'couponIssued'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'couponIssued', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.issuedAt }));
  }

  @OnBatch('couponRedemptionDecided')
  async redemption(@Payload() ms: Batch<'couponRedemptionDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'couponRedemptionDecided', ms, (v) => ({ naturalKey: v.eventId, accountId: v.accountId, occurredAt: v.decidedAt }));
  }

  @OnBatch('couponExpired')
  async couponExpired(@Payload() ms: Batch<'couponExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'couponExpired', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.expiredAt }));
  }

  @OnBatch('couponExpiringSoon')
  async couponExpiringSoon(@Payload() ms: Batch<'couponExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'couponExpiringSoon', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.remindedAt }));
  }

  @OnBatch('passReserved')
  async passReserved(@Payload() ms: Batch<'passReserved'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passReserved', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.reservedAt }));
  }

  @OnBatch('passSoldOut')
  async passSoldOut(@Payload() ms: Batch<'passSoldOut'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passSoldOut', ms, (v) => ({ naturalKey: v.eventId, accountId: v.accountId, occurredAt: v.decidedAt }));
  }

  @OnBatch('passDelayNotice')
  async passDelayNotice(@Payload() ms: Batch<'passDelayNotice'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passDelayNotice', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.noticedAt }));
  }

  @OnBatch('passSent')
  async passSent(@Payload() ms: Batch<'passSent'>, @Ctx() ctx: TxContext): Promise<void> {
    const fresh = await record(ctx, 'passSent', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.sentAt }));
    // The queue's head per campaign, from first-time sends only (a redelivery must not count twice).
    const byCampaign = new Map<string, { through: number; count: number; first: string; last: string }>();
    for (const v of fresh) {
      const c = byCampaign.get(v.campaignId) ?? { through: 0, count: 0, first: v.sentAt, last: v.sentAt };
      c.through = Math.max(c.through, v.slot);
      c.count++;
      if (v.sentAt < c.first) c.first = v.sentAt;
      if (v.sentAt > c.last) c.last = v.sentAt;
      byCampaign.set(v.campaignId, c);
    }
    for (const [campaignId, c] of byCampaign) {
      await ctx.query(
        `INSERT INTO pass_queue_progress (campaign_id, sent_through_slot, sent_count, first_sent_at, last_sent_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (campaign_id) DO UPDATE SET
           sent_through_slot = GREATEST(pass_queue_progress.sent_through_slot, EXCLUDED.sent_through_slot),
           sent_count = pass_queue_progress.sent_count + EXCLUDED.sent_count,
           first_sent_at = LEAST(pass_queue_progress.first_sent_at, EXCLUDED.first_sent_at),
           last_sent_at = GREATEST(pass_queue_progress.last_sent_at, EXCLUDED.last_sent_at)`,
        [campaignId, c.through, c.count, c.first, c.last],
      );
    }
  }

  @OnBatch('passRegistrationDecided')
  async registration(@Payload() ms: Batch<'passRegistrationDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passRegistrationDecided', ms, (v) => ({ naturalKey: v.eventId, accountId: v.accountId, occurredAt: v.decidedAt }));
  }

  @OnBatch('passRegistrationExpiringSoon')
  async passRegistrationExpiringSoon(@Payload() ms: Batch<'passRegistrationExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passRegistrationExpiringSoon', ms, (v) => ({
      naturalKey: v.passId,
      accountId: v.accountId,
      occurredAt: v.remindedAt,
    }));
  }

  @OnBatch('passExpired')
  async passExpired(@Payload() ms: Batch<'passExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await record(ctx, 'passExpired', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.expiredAt }));
  }
}

/** Inserts the events not seen before; returns their payloads. */
async function record<K extends TopicKey>(
  ctx: TxContext,
  topic: K,
  messages: Batch<K>,
  entry: (v: PayloadOf<K>) => Entry,
): Promise<PayloadOf<K>[]> {
  const byKey = new Map<string, { e: Entry; v: PayloadOf<K> }>();
  for (const m of messages) {
    const e = entry(m.value);
    if (!byKey.has(e.naturalKey)) byKey.set(e.naturalKey, { e, v: m.value });
  }
  const rows = [...byKey.values()];
  if (rows.length === 0) return [];
  const inserted = await ctx.query<{ natural_key: string }>(
    `INSERT INTO timeline_event (topic, natural_key, account_id, occurred_at, payload, recorded_at)
     SELECT $1, t.k, t.a, t.o, t.p, $6 FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[]) AS t(k, a, o, p)
     ON CONFLICT (topic, natural_key) DO NOTHING
     RETURNING natural_key`,
    [
      topic,
      rows.map((r) => r.e.naturalKey),
      rows.map((r) => r.e.accountId),
      rows.map((r) => r.e.occurredAt),
      rows.map((r) => JSON.stringify(r.v)),
      ctx.now,
    ],
  );
  const fresh = new Set(inserted.map((r) => r.natural_key));
  return rows.filter((r) => fresh.has(r.e.naturalKey)).map((r) => r.v);
}
