import { Inject, Injectable } from '@nestjs/common';
import { PayloadOf } from '@platform/contracts';
import { InboundMessage, MessagingRuntime, TxContext } from '@platform/messaging';
import { isTransientError } from '@platform/persistence';
import { CouponState, decideRedemption, RedemptionOutcome } from '@platform/rules';
import { CouponRepository, CouponRow } from '../coupons/coupon.repository';
import { COUPONS_CONFIG } from '../tokens';
import type { CouponsConfig } from '../config';
import { RedemptionRepository, RequestedRedemption, StoredRedemption } from './redemption.repository';

export type RedemptionDecided = PayloadOf<'couponRedemptionDecided'>;

/** One redemption request, from either path. */
export interface RedemptionRequest extends RequestedRedemption {
  /** The instant the request is judged at; null when its own time is implausible (INVALID). */
  asOf: Date | null;
  /** The inbound message, so the decision continues its trace. */
  cause?: InboundMessage<unknown>;
}

export type RedemptionResult =
  /** Decided now (and emitted on coupon.redemption.decided.v1 in this transaction). */
  | { kind: 'DECIDED'; decision: RedemptionDecided }
  /** The same request again: the decision stored the first time. */
  | { kind: 'REPLAY'; decision: RedemptionDecided }
  /** The request id was already used for a different request. */
  | { kind: 'CONFLICT'; decision: RedemptionDecided };

/** A concurrent transaction stored the same request id first: retry, and this becomes a replay. */
export class RedemptionRaceLost extends Error {
  /** SQLSTATE serialization_failure: the consumer and the HTTP path both retry it. */
  readonly code = '40001';
}

export const toDecision = (r: StoredRedemption): RedemptionDecided => ({
  eventId: r.requestId,
  couponId: r.couponId,
  orderId: r.orderId,
  accountId: r.accountId,
  status: r.status,
  ...(r.reason ? { reason: r.reason } : {}),
  paidAmountWon: r.paidAmountWon,
  discountWon: r.discountWon,
  decidedAt: r.decidedAt.toISOString(),
});

const sameRequest = (s: StoredRedemption, r: RedemptionRequest): boolean =>
  s.couponId === r.couponId && s.accountId === r.accountId && s.orderId === r.orderId && s.orderAmountWon === r.orderAmountWon;

const stateOf = (c: CouponRow): CouponState => ({
  accountId: c.accountId,
  amountWon: c.amountWon,
  minPaidWon: c.minPaidWon,
  expiresAt: c.expiresAt,
  redeemed: c.redeemedBy !== null,
  expiryAnnounced: c.expiredAt !== null,
});

/**
 * The one place redemptions are decided, for the Kafka path and the HTTP path alike.
 *
 * Single use is guaranteed by the database three ways: the coupons concerned are locked FOR
 * UPDATE before anything is read (so decisions about one coupon are serialised across consumers,
 * HTTP requests and the sweep), the coupon is marked with a conditional UPDATE (`redeemed_by IS
 * NULL`), and a partial unique index allows one REDEEMED redemption per coupon. A request id is
 * decided once (primary key), and its stored decision answers every replay.
 */
@Injectable()
export class RedemptionService {
  constructor(
    private readonly coupons: CouponRepository,
    private readonly redemptions: RedemptionRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(COUPONS_CONFIG) private readonly config: CouponsConfig,
  ) {}

  /** Decides a chunk of requests in the caller's transaction; results are in input order. */
  async decideAll(ctx: TxContext, requests: RedemptionRequest[]): Promise<RedemptionResult[]> {
    // Lock first, then read earlier decisions: a twin request for the same coupon waits for the
    // lock and then sees the twin's committed decision.
    const coupons = await this.coupons.lockMany(ctx.manager, [...new Set(requests.map((r) => r.couponId))].sort());
    const known = await this.redemptions.findMany(ctx.manager, [...new Set(requests.map((r) => r.requestId))]);

    const results: RedemptionResult[] = [];
    const fresh: StoredRedemption[] = [];
    const causes = new Map<string, InboundMessage<unknown> | undefined>();
    for (const r of requests) {
      const prior = known.get(r.requestId);
      if (prior) {
        results.push({ kind: sameRequest(prior, r) ? 'REPLAY' : 'CONFLICT', decision: toDecision(prior) });
        continue;
      }
      const coupon = coupons.get(r.couponId);
      const outcome: RedemptionOutcome =
        r.asOf === null
          ? { status: 'REJECTED', reason: 'INVALID', discountWon: 0, paidAmountWon: null }
          : decideRedemption(coupon && stateOf(coupon), r, r.asOf, { maxOrderAmountWon: this.config.MAX_ORDER_AMOUNT_WON });
      if (outcome.status === 'REDEEMED' && coupon) coupon.redeemedBy = r.requestId; // later requests in this chunk see it used
      const stored: StoredRedemption = {
        requestId: r.requestId,
        source: r.source,
        couponId: r.couponId,
        accountId: r.accountId,
        orderId: r.orderId,
        orderAmountWon: r.orderAmountWon,
        status: outcome.status,
        reason: outcome.status === 'REJECTED' ? outcome.reason : null,
        paidAmountWon: outcome.paidAmountWon,
        discountWon: outcome.discountWon,
        decidedAt: ctx.now,
      };
      known.set(r.requestId, stored);
      fresh.push(stored);
      causes.set(r.requestId, r.cause);
      results.push({ kind: 'DECIDED', decision: toDecision(stored) });
    }

    const inserted = await this.redemptions.insertMany(ctx.manager, fresh);
    if (inserted.size !== fresh.length) {
      throw new RedemptionRaceLost(
        `request id(s) decided concurrently: ${fresh
          .filter((f) => !inserted.has(f.requestId))
          .map((f) => f.requestId)
          .join(', ')}`,
      );
    }
    const used = fresh.filter((f) => f.status === 'REDEEMED');
    const marked = await this.coupons.markRedeemed(
      ctx.manager,
      used.map((u) => ({ couponId: u.couponId, requestId: u.requestId, orderId: u.orderId })),
      ctx.now,
    );
    // Cannot happen while the rows are locked; if it ever does, refuse rather than double-spend.
    if (marked !== used.length) throw new Error(`single-use violated: ${used.length - marked} coupon(s) were no longer unused`);

    for (const f of fresh) ctx.emit('couponRedemptionDecided', toDecision(f), causes.get(f.requestId));
    return results;
  }

  /**
   * The synchronous path: one request in its own transaction (state and outbox together),
   * retried when it lost a race or a deadlock to a concurrent decision.
   */
  async decideNow(request: Omit<RedemptionRequest, 'asOf' | 'cause'>): Promise<RedemptionResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.messaging.transaction(async (ctx) => {
          const [result] = await this.decideAll(ctx, [{ ...request, asOf: ctx.now }]);
          if (!result) throw new Error('no result for the request');
          return result;
        });
      } catch (e) {
        if (attempt >= 5 || !isTransientError(e)) throw e;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 30)));
      }
    }
  }
}
