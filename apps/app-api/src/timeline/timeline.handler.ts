import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { PayloadOf, TopicKey } from '@platform/contracts';
import { Batch, OnBatch, TxContext } from '@platform/messaging';
import { QueueAdvance, TimelineEntry, TimelineRepository } from './timeline.repository';

/**
 * Feeds the timeline read model from the platform's grant events (and the expiry reminders sent
 * about them). Each event is kept once by its
 * natural key (the entitlement, coupon, pass or request it is about), so redelivery, replays and
 * the same event from two partitions change nothing; the timeline folds them when read.
 */
@Controller()
export class TimelineHandler {
  constructor(private readonly timeline: TimelineRepository) {}

  @OnBatch('entitlementGranted')
  async granted(@Payload() ms: Batch<'entitlementGranted'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'entitlementGranted', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.grantedAt,
    }));
  }

  @OnBatch('entitlementActivated')
  async activated(@Payload() ms: Batch<'entitlementActivated'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'entitlementActivated', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.activatedAt,
    }));
  }

  @OnBatch('entitlementExpired')
  async entitlementExpired(@Payload() ms: Batch<'entitlementExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'entitlementExpired', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.expiredAt,
    }));
  }

  @OnBatch('entitlementExpiringSoon')
  async entitlementExpiringSoon(@Payload() ms: Batch<'entitlementExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'entitlementExpiringSoon', ms, (v) => ({
      naturalKey: v.entitlementId,
      accountId: v.accountId,
      occurredAt: v.remindedAt,
    }));
  }

  @OnBatch('couponIssued')
  async couponIssued(@Payload() ms: Batch<'couponIssued'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'couponIssued', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.issuedAt }));
  }

  @OnBatch('couponRedemptionDecided')
  async redemption(@Payload() ms: Batch<'couponRedemptionDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'couponRedemptionDecided', ms, (v) => ({
      naturalKey: v.eventId,
      accountId: v.accountId,
      occurredAt: v.decidedAt,
    }));
  }

  @OnBatch('couponExpired')
  async couponExpired(@Payload() ms: Batch<'couponExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'couponExpired', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.expiredAt }));
  }

  @OnBatch('couponExpiringSoon')
  async couponExpiringSoon(@Payload() ms: Batch<'couponExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'couponExpiringSoon', ms, (v) => ({ naturalKey: v.couponId, accountId: v.accountId, occurredAt: v.remindedAt }));
  }

  @OnBatch('passReserved')
  async passReserved(@Payload() ms: Batch<'passReserved'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passReserved', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.reservedAt }));
  }

  @OnBatch('passSoldOut')
  async passSoldOut(@Payload() ms: Batch<'passSoldOut'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passSoldOut', ms, (v) => ({ naturalKey: v.eventId, accountId: v.accountId, occurredAt: v.decidedAt }));
  }

  @OnBatch('passDelayNotice')
  async passDelayNotice(@Payload() ms: Batch<'passDelayNotice'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passDelayNotice', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.noticedAt }));
  }

  @OnBatch('passSent')
  async passSent(@Payload() ms: Batch<'passSent'>, @Ctx() ctx: TxContext): Promise<void> {
    const fresh = await this.record(ctx, 'passSent', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.sentAt }));
    // The queue's head per campaign, from first-time sends only (a redelivery must not count twice).
    const byCampaign = new Map<string, QueueAdvance>();
    for (const v of fresh) {
      const c = byCampaign.get(v.campaignId) ?? { through: 0, count: 0, first: v.sentAt, last: v.sentAt };
      c.through = Math.max(c.through, v.slot);
      c.count++;
      if (v.sentAt < c.first) c.first = v.sentAt;
      if (v.sentAt > c.last) c.last = v.sentAt;
      byCampaign.set(v.campaignId, c);
    }
    for (const [campaignId, c] of byCampaign) await this.timeline.advanceQueue(ctx, campaignId, c);
  }

  @OnBatch('passRegistrationDecided')
  async registration(@Payload() ms: Batch<'passRegistrationDecided'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passRegistrationDecided', ms, (v) => ({
      naturalKey: v.eventId,
      accountId: v.accountId,
      occurredAt: v.decidedAt,
    }));
  }

  @OnBatch('passRegistrationExpiringSoon')
  async passRegistrationExpiringSoon(@Payload() ms: Batch<'passRegistrationExpiringSoon'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passRegistrationExpiringSoon', ms, (v) => ({
      naturalKey: v.passId,
      accountId: v.accountId,
      occurredAt: v.remindedAt,
    }));
  }

  @OnBatch('passExpired')
  async passExpired(@Payload() ms: Batch<'passExpired'>, @Ctx() ctx: TxContext): Promise<void> {
    await this.record(ctx, 'passExpired', ms, (v) => ({ naturalKey: v.passId, accountId: v.accountId, occurredAt: v.expiredAt }));
  }

  /** Keeps the events not seen before (the first of each natural key in the batch); returns their payloads. */
  private async record<K extends TopicKey>(
    ctx: TxContext,
    topic: K,
    messages: Batch<K>,
    entry: (v: PayloadOf<K>) => TimelineEntry,
  ): Promise<PayloadOf<K>[]> {
    const byKey = new Map<string, { e: TimelineEntry; v: PayloadOf<K> }>();
    for (const m of messages) {
      const e = entry(m.value);
      if (!byKey.has(e.naturalKey)) byKey.set(e.naturalKey, { e, v: m.value });
    }
    const rows = [...byKey.values()];
    if (rows.length === 0) return [];
    const fresh = await this.timeline.record(ctx, topic, rows);
    return rows.filter((r) => fresh.has(r.e.naturalKey)).map((r) => r.v);
  }
}
