import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { RedemptionRejection } from '@platform/rules';

export type RedemptionSource = 'EVENT' | 'HTTP';

/** What a redemption request asks for, the same in the request and in its stored decision. */
export interface RequestedRedemption {
  /** eventId (event path) or Idempotency-Key (HTTP path): one decision per request id, ever. */
  requestId: string;
  source: RedemptionSource;
  couponId: string;
  accountId: string;
  orderId: string;
  orderAmountWon: number;
}

/** A decided redemption request, as stored (keyed by the request id). */
export interface StoredRedemption extends RequestedRedemption {
  status: 'REDEEMED' | 'REJECTED';
  reason: RedemptionRejection | null;
  paidAmountWon: number | null;
  discountWon: number;
  decidedAt: Date;
}

interface Raw {
  request_id: string;
  source: RedemptionSource;
  coupon_id: string;
  account_id: string;
  order_id: string;
  order_amount_won: number;
  status: 'REDEEMED' | 'REJECTED';
  reason: RedemptionRejection | null;
  paid_amount_won: number | null;
  discount_won: number;
  decided_at: Date;
}

@Injectable()
export class RedemptionRepository {
  async findMany(m: EntityManager, requestIds: string[]): Promise<Map<string, StoredRedemption>> {
    if (requestIds.length === 0) return new Map();
    const rows = (await m.query(`SELECT * FROM redemption WHERE request_id = ANY($1::text[])`, [requestIds])) as Raw[];
    return new Map(
      rows.map((r) => [
        r.request_id,
        {
          requestId: r.request_id,
          source: r.source,
          couponId: r.coupon_id,
          accountId: r.account_id,
          orderId: r.order_id,
          orderAmountWon: r.order_amount_won,
          status: r.status,
          reason: r.reason,
          paidAmountWon: r.paid_amount_won,
          discountWon: r.discount_won,
          decidedAt: new Date(r.decided_at),
        },
      ]),
    );
  }

  /** Stores decisions; returns the request ids inserted (a concurrent twin may have won). */
  async insertMany(m: EntityManager, rs: StoredRedemption[]): Promise<Set<string>> {
    if (rs.length === 0) return new Set();
    const col = <T>(f: (r: StoredRedemption) => T): T[] => rs.map(f);
    const rows = (await m.query(
      `INSERT INTO redemption (request_id, source, coupon_id, account_id, order_id, order_amount_won, status, reason,
                               paid_amount_won, discount_won, decided_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::text[],
                            $9::int[], $10::int[], $11::timestamptz[])
       ON CONFLICT (request_id) DO NOTHING
       RETURNING request_id`,
      [
        col((r) => r.requestId),
        col((r) => r.source),
        col((r) => r.couponId),
        col((r) => r.accountId),
        col((r) => r.orderId),
        col((r) => r.orderAmountWon),
        col((r) => r.status),
        col((r) => r.reason),
        col((r) => r.paidAmountWon),
        col((r) => r.discountWon),
        col((r) => r.decidedAt.toISOString()),
      ],
    )) as { request_id: string }[];
    return new Set(rows.map((r) => r.request_id));
  }
}
