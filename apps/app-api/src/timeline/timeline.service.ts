import { Injectable } from '@nestjs/common';
import { PayloadOf, ServiceTopics, Topics } from '@platform/contracts';
import { MessagingRuntime } from '@platform/messaging';
import { giftPackStatus, PassProgress } from '@platform/rules';
import { TimelineRepository } from './timeline.repository';

type P<K extends keyof typeof Topics> = PayloadOf<K>;

export interface EmoticonView {
  entitlementId: string;
  emoticonId: string;
  validityDays: number | null;
  state: 'GRANTED' | 'ACTIVE' | 'EXPIRED';
  grantedAt: string;
  activatedAt?: string;
  expiresAt?: string;
  /** When emoticon.entitlement.expiring-soon.v1 reminded the user (at most once). */
  remindedAt?: string;
  expiredAt?: string;
}

export interface CouponView {
  couponId: string;
  amountWon: number;
  state: 'ISSUED' | 'REDEEMED' | 'EXPIRED';
  issuedAt: string;
  expiresAt: string;
  redeemedAt?: string;
  orderId?: string;
  paidAmountWon?: number | null;
  /** When coupon.expiring-soon.v1 reminded the user (at most once, never once redeemed). */
  remindedAt?: string;
  expiredAt?: string;
  rejectedRedemptions: { reason: string; decidedAt: string }[];
}

export type PassView =
  | { state: 'SOLD_OUT'; cap: number; decidedAt: string }
  | {
      state: 'RESERVED' | 'SENT' | 'REGISTERED' | 'EXPIRED';
      passId: string;
      slot: number;
      reservedAt: string;
      /** Passes ahead of this one in the send queue (0 = next), while not sent. */
      queuePosition?: number;
      /** From the delay notice, else from the queue's measured send rate (while not sent). */
      estimatedDeliveryAt?: string | null;
      delayNoticeAt?: string;
      sentAt?: string;
      registerBy?: string;
      /** When talkdrawer.pass.registration.expiring-soon.v1 reminded the user to register (at most once). */
      remindedAt?: string;
      registeredAt?: string;
      validUntil?: string;
      expiredAt?: string;
      rejectedRegistrations: { reason: string; decidedAt: string }[];
    };

export interface ClaimView {
  campaignId: string;
  eventId: string;
  claimId?: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  reason?: string;
  requestedAt?: string;
  decidedAt?: string;
  /**
   * STUCK: grants still missing after every re-drive the reconciler asked for (`reconciliation`
   * says how often and what); PENDING: still missing, or the pass waits in the send queue.
   */
  giftPack?: {
    status: 'COMPLETE' | 'PENDING' | 'STUCK';
    pending: string[];
    reconciliation?: { status: 'RE_DRIVEN' | 'STUCK' | 'COMPLETED'; attempts: number; missing: string[]; lastRequestedAt: string };
  };
  emoticons: EmoticonView[];
  coupons: CouponView[];
  pass: PassView | null;
}

export interface Timeline {
  accountId: string;
  /** STUCK: a gift pack the platform could not complete by itself (ops are alerted: HeartPackGiftPackStuck). */
  status: 'COMPLETE' | 'PENDING' | 'STUCK' | 'REJECTED';
  /** What a PENDING (or STUCK) timeline waits for. */
  pending: string[];
  claims: ClaimView[];
  /** Every event, oldest first. */
  events: { at: string; event: string; detail: Record<string, unknown> }[];
  readModel: {
    /** Events on the consumed topics not yet applied (partitions this instance reads; measured every 5 s). */
    lagMessages: number;
    lagByTopic: Record<string, number>;
    /** When this model last applied an event of this account. */
    lastRecordedAt: string | null;
    servedAt: string;
  };
}

const iso = (d: Date | string) => new Date(d).toISOString();

/**
 * One account's claims and every grant as it happened, from this service's read model (fed by the
 * platform's events) in one read: no call to claims, emoticons, coupons or the pass dispatcher.
 */
@Injectable()
export class TimelineService {
  constructor(
    private readonly timelines: TimelineRepository,
    private readonly messaging: MessagingRuntime,
  ) {}

  async timeline(accountId: string): Promise<Timeline | null> {
    const { decisions, pendingClaims, events, progress, lastRecorded, reconciliation } = await this.timelines.read(accountId);
    if (decisions.length === 0 && pendingClaims.length === 0 && events.length === 0) return null;

    const now = new Date();
    const claims: ClaimView[] = [];
    const byClaimId = new Map<string, ClaimView>();
    for (const d of decisions) {
      const c: ClaimView = {
        campaignId: d.campaign_id,
        eventId: d.event_id,
        claimId: d.claim_id,
        status: d.status,
        ...(d.reason ? { reason: d.reason } : {}),
        ...(d.requested_at ? { requestedAt: iso(d.requested_at) } : {}),
        decidedAt: iso(d.decided_at),
        emoticons: [],
        coupons: [],
        pass: null,
      };
      claims.push(c);
      byClaimId.set(d.claim_id, c);
    }
    const decided = new Set(decisions.map((d) => d.event_id));
    for (const p of pendingClaims) {
      if (decided.has(p.event_id)) continue;
      claims.push({ campaignId: p.campaign_id, eventId: p.event_id, status: 'PENDING', emoticons: [], coupons: [], pass: null });
    }

    // Grants first (they name their claim), then what happened to each grant (named by its own id).
    const emoticons = new Map<string, EmoticonView>();
    const coupons = new Map<string, CouponView>();
    const passes = new Map<string, Extract<PassView, { passId: string }>>();
    const orphans: string[] = [];
    const claimOf = (claimId: string, what: string) => {
      const c = byClaimId.get(claimId);
      if (!c) orphans.push(what);
      return c;
    };
    for (const e of events) {
      switch (e.topic) {
        case 'entitlementGranted': {
          const v = e.payload as P<'entitlementGranted'>;
          const view: EmoticonView = {
            entitlementId: v.entitlementId,
            emoticonId: v.emoticonId,
            validityDays: v.validityDays,
            state: 'GRANTED',
            grantedAt: v.grantedAt,
          };
          emoticons.set(v.entitlementId, view);
          claimOf(v.claimId, `emoticon ${v.entitlementId}`)?.emoticons.push(view);
          break;
        }
        case 'couponIssued': {
          const v = e.payload as P<'couponIssued'>;
          const view: CouponView = {
            couponId: v.couponId,
            amountWon: v.amountWon,
            state: 'ISSUED',
            issuedAt: v.issuedAt,
            expiresAt: v.expiresAt,
            rejectedRedemptions: [],
          };
          coupons.set(v.couponId, view);
          claimOf(v.claimId, `coupon ${v.couponId}`)?.coupons.push(view);
          break;
        }
        case 'passReserved': {
          const v = e.payload as P<'passReserved'>;
          const view: Extract<PassView, { passId: string }> = {
            state: 'RESERVED',
            passId: v.passId,
            slot: v.slot,
            reservedAt: v.reservedAt,
            rejectedRegistrations: [],
          };
          passes.set(v.passId, view);
          const c = claimOf(v.claimId, `pass ${v.passId}`);
          if (c) c.pass = view;
          break;
        }
        case 'passSoldOut': {
          const v = e.payload as P<'passSoldOut'>;
          const c = claimOf(v.claimId, `sold-out ${v.eventId}`);
          if (c) c.pass = { state: 'SOLD_OUT', cap: v.cap, decidedAt: v.decidedAt };
          break;
        }
        default:
          break;
      }
    }
    for (const e of events) {
      switch (e.topic) {
        case 'entitlementActivated': {
          const v = e.payload as P<'entitlementActivated'>;
          const x = emoticons.get(v.entitlementId);
          if (x)
            Object.assign(x, { activatedAt: v.activatedAt, expiresAt: v.expiresAt, state: x.state === 'EXPIRED' ? 'EXPIRED' : 'ACTIVE' });
          break;
        }
        case 'entitlementExpired': {
          const v = e.payload as P<'entitlementExpired'>;
          const x = emoticons.get(v.entitlementId);
          if (x) Object.assign(x, { expiredAt: v.expiredAt, state: 'EXPIRED' });
          break;
        }
        case 'entitlementExpiringSoon': {
          const v = e.payload as P<'entitlementExpiringSoon'>;
          const x = emoticons.get(v.entitlementId);
          if (x) x.remindedAt = v.remindedAt;
          break;
        }
        case 'couponExpiringSoon': {
          const v = e.payload as P<'couponExpiringSoon'>;
          const x = coupons.get(v.couponId);
          if (x) x.remindedAt = v.remindedAt;
          break;
        }
        case 'passRegistrationExpiringSoon': {
          const v = e.payload as P<'passRegistrationExpiringSoon'>;
          const x = passes.get(v.passId);
          if (x) x.remindedAt = v.remindedAt;
          break;
        }
        case 'couponRedemptionDecided': {
          const v = e.payload as P<'couponRedemptionDecided'>;
          const x = coupons.get(v.couponId);
          if (!x) break;
          if (v.status === 'REDEEMED')
            Object.assign(x, { state: 'REDEEMED', redeemedAt: v.decidedAt, orderId: v.orderId, paidAmountWon: v.paidAmountWon });
          else x.rejectedRedemptions.push({ reason: v.reason ?? 'REJECTED', decidedAt: v.decidedAt });
          break;
        }
        case 'couponExpired': {
          const v = e.payload as P<'couponExpired'>;
          const x = coupons.get(v.couponId);
          if (x && x.state !== 'REDEEMED') Object.assign(x, { state: 'EXPIRED', expiredAt: v.expiredAt });
          break;
        }
        case 'passDelayNotice': {
          const v = e.payload as P<'passDelayNotice'>;
          const x = passes.get(v.passId);
          if (x) Object.assign(x, { delayNoticeAt: v.noticedAt, estimatedDeliveryAt: v.estimatedDeliveryAt });
          break;
        }
        case 'passSent': {
          const v = e.payload as P<'passSent'>;
          const x = passes.get(v.passId);
          if (x) Object.assign(x, { sentAt: v.sentAt, registerBy: v.registerBy, state: x.state === 'RESERVED' ? 'SENT' : x.state });
          break;
        }
        case 'passRegistrationDecided': {
          const v = e.payload as P<'passRegistrationDecided'>;
          const x = passes.get(v.passId);
          if (!x) break;
          if (v.status === 'REGISTERED')
            Object.assign(x, { state: 'REGISTERED', registeredAt: v.decidedAt, ...(v.validUntil ? { validUntil: v.validUntil } : {}) });
          else x.rejectedRegistrations.push({ reason: v.reason ?? 'REJECTED', decidedAt: v.decidedAt });
          break;
        }
        case 'passExpired': {
          const v = e.payload as P<'passExpired'>;
          const x = passes.get(v.passId);
          if (x && x.state !== 'REGISTERED') Object.assign(x, { state: 'EXPIRED', expiredAt: v.expiredAt });
          break;
        }
        default:
          break;
      }
    }

    // Grants made at the same instant in the campaign's order (their ids are hashes; the read order
    // of ties is arbitrary): packs by the rewards' emoticon list, coupons by its amounts.
    for (const d of decisions) {
      const c = byClaimId.get(d.claim_id);
      if (!c || !d.rewards) continue;
      const packOrder = d.rewards.emoticons.map((e) => e.emoticonId);
      const amountOrder = d.rewards.coupons?.amountsWon ?? [];
      const rank = (xs: unknown[], x: unknown) => (xs.includes(x) ? xs.indexOf(x) : xs.length);
      c.emoticons.sort((a, b) => a.grantedAt.localeCompare(b.grantedAt) || rank(packOrder, a.emoticonId) - rank(packOrder, b.emoticonId));
      c.coupons.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || rank(amountOrder, a.amountWon) - rank(amountOrder, b.amountWon));
    }

    // Queue position and, without a delay notice, an estimate from the queue's measured send rate.
    for (const c of claims) {
      const pass = c.pass;
      if (!pass || pass.state !== 'RESERVED') continue;
      const p = progress.find((x) => x.campaign_id === c.campaignId);
      const head = p?.sent_through_slot ?? 0;
      pass.queuePosition = Math.max(pass.slot - head - 1, 0);
      if (pass.estimatedDeliveryAt === undefined) {
        const spanS = p ? (new Date(p.last_sent_at).getTime() - new Date(p.first_sent_at).getTime()) / 1000 : 0;
        const rate = p && spanS > 0 ? (Number(p.sent_count) - 1) / spanS : 0;
        pass.estimatedDeliveryAt =
          rate > 0 && p
            ? new Date(Math.max(new Date(p.last_sent_at).getTime(), 0) + ((pass.slot - head) / rate) * 1000).toISOString()
            : null;
      }
    }

    for (const c of claims) {
      if (c.status !== 'ACCEPTED') continue;
      const d = decisions.find((x) => x.event_id === c.eventId);
      const pass: PassProgress = !c.pass ? 'NONE' : c.pass.state;
      const s = giftPackStatus({
        rewards: d?.rewards ?? null,
        makersMember: d?.makers_member ?? false,
        emoticonsGranted: c.emoticons.length,
        couponsIssued: c.coupons.length,
        pass,
      });
      const r = reconciliation.find((x) => x.claim_id === d?.claim_id);
      const followed = r
        ? { reconciliation: { status: r.status, attempts: r.attempts, missing: r.missing, lastRequestedAt: iso(r.last_requested_at) } }
        : {};
      c.giftPack =
        s.status === 'COMPLETE'
          ? { status: 'COMPLETE', pending: [], ...followed }
          : { status: r?.status === 'STUCK' ? 'STUCK' : 'PENDING', pending: s.pending, ...followed };
    }

    const pending: string[] = [];
    for (const c of claims) {
      if (c.status === 'PENDING') pending.push(`CLAIM ${c.eventId}: waiting for its decision`);
      if (c.giftPack?.status === 'PENDING' || c.giftPack?.status === 'STUCK')
        pending.push(...c.giftPack.pending.map((p) => `${c.campaignId} ${p}`));
    }
    if (orphans.length > 0) pending.push(`DECISION: grants arrived before their claim's decision (${orphans.length})`);
    const status: Timeline['status'] = claims.some((c) => c.giftPack?.status === 'STUCK')
      ? 'STUCK'
      : pending.length > 0
        ? 'PENDING'
        : claims.some((c) => c.giftPack?.status === 'COMPLETE')
          ? 'COMPLETE'
          : 'REJECTED';

    const timeline: Timeline['events'] = [
      ...decisions.map((d) => ({
        at: iso(d.decided_at),
        event: 'claimDecided',
        detail: { eventId: d.event_id, campaignId: d.campaign_id, status: d.status, ...(d.reason ? { reason: d.reason } : {}) },
      })),
      ...events.map((e) => ({ at: iso(e.occurred_at), event: e.topic, detail: e.payload })),
    ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));

    return {
      accountId,
      status,
      pending,
      claims,
      events: timeline,
      readModel: { ...this.lag(), lastRecordedAt: lastRecorded ? iso(lastRecorded) : null, servedAt: now.toISOString() },
    };
  }

  private lag(): { lagMessages: number; lagByTopic: Record<string, number> } {
    const lagByTopic: Record<string, number> = {};
    for (const k of ServiceTopics['app-api'].consumes) lagByTopic[Topics[k].name] = 0;
    for (const c of this.messaging.consumers) {
      for (const [tp, n] of c.lag) {
        const topic = tp.slice(0, tp.lastIndexOf(':'));
        if (topic in lagByTopic) lagByTopic[topic] = (lagByTopic[topic] ?? 0) + n;
      }
    }
    return { lagMessages: Object.values(lagByTopic).reduce((a, b) => a + b, 0), lagByTopic };
  }
}
