import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { queryReturning } from './sql';

export interface NewCoupon {
  couponId: string;
  claimId: string;
  claimEventId: string;
  campaignId: string;
  accountId: string;
  index: number;
  amountWon: number;
  minPaidWon: number;
  issuedAt: Date;
  expiresAt: Date;
  /** When coupon.expiring-soon.v1 is due; null: the campaign sets no reminder. */
  remindAt: Date | null;
}

export interface CouponRow {
  couponId: string;
  claimId: string;
  claimEventId: string;
  campaignId: string;
  accountId: string;
  amountWon: number;
  minPaidWon: number;
  issuedAt: Date;
  expiresAt: Date;
  redeemedBy: string | null;
  redeemedAt: Date | null;
  redeemedOrderId: string | null;
  expiredAt: Date | null;
  remindAt: Date | null;
  remindedAt: Date | null;
}

interface RawCoupon {
  coupon_id: string;
  claim_id: string;
  claim_event_id: string;
  campaign_id: string;
  account_id: string;
  amount_won: number;
  min_paid_won: number;
  issued_at: Date;
  expires_at: Date;
  redeemed_by: string | null;
  redeemed_at: Date | null;
  redeemed_order_id: string | null;
  expired_at: Date | null;
  remind_at: Date | null;
  reminded_at: Date | null;
}

const toRow = (r: RawCoupon): CouponRow => ({
  couponId: r.coupon_id,
  claimId: r.claim_id,
  claimEventId: r.claim_event_id,
  campaignId: r.campaign_id,
  accountId: r.account_id,
  amountWon: r.amount_won,
  minPaidWon: r.min_paid_won,
  issuedAt: new Date(r.issued_at),
  expiresAt: new Date(r.expires_at),
  redeemedBy: r.redeemed_by,
  redeemedAt: r.redeemed_at && new Date(r.redeemed_at),
  redeemedOrderId: r.redeemed_order_id,
  expiredAt: r.expired_at && new Date(r.expired_at),
  remindAt: r.remind_at && new Date(r.remind_at),
  remindedAt: r.reminded_at && new Date(r.reminded_at),
});

/** All coupon-table SQL; every statement is set-based (one per chunk, not one per message). */
@Injectable()
export class CouponRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts coupons not issued yet; returns the ids actually inserted (first writer wins). */
  async insertNew(m: EntityManager, cs: NewCoupon[]): Promise<Set<string>> {
    if (cs.length === 0) return new Set();
    const col = <T>(f: (c: NewCoupon) => T): T[] => cs.map(f);
    const rows = (await m.query(
      `INSERT INTO coupon (coupon_id, claim_id, claim_event_id, campaign_id, account_id, idx, amount_won, min_paid_won, issued_at, expires_at, remind_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[],
                            $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
       ON CONFLICT DO NOTHING
       RETURNING coupon_id`,
      [
        col((c) => c.couponId),
        col((c) => c.claimId),
        col((c) => c.claimEventId),
        col((c) => c.campaignId),
        col((c) => c.accountId),
        col((c) => c.index),
        col((c) => c.amountWon),
        col((c) => c.minPaidWon),
        col((c) => c.issuedAt.toISOString()),
        col((c) => c.expiresAt.toISOString()),
        col((c) => c.remindAt?.toISOString() ?? null),
      ],
    )) as { coupon_id: string }[];
    return new Set(rows.map((r) => r.coupon_id));
  }

  /**
   * Locks the given coupons (in id order, so concurrent lockers cannot deadlock each other) for
   * the rest of the transaction: decisions about one coupon are serialised across every path.
   */
  async lockMany(m: EntityManager, ids: string[]): Promise<Map<string, CouponRow>> {
    if (ids.length === 0) return new Map();
    const rows = (await m.query(`SELECT * FROM coupon WHERE coupon_id = ANY($1::text[]) ORDER BY coupon_id FOR UPDATE`, [
      ids,
    ])) as RawCoupon[];
    return new Map(rows.map((r) => [r.coupon_id, toRow(r)]));
  }

  /** Marks coupons used, only if nobody used them yet; returns how many rows changed. */
  async markRedeemed(m: EntityManager, uses: { couponId: string; requestId: string; orderId: string }[], at: Date): Promise<number> {
    if (uses.length === 0) return 0;
    const rows = await queryReturning<{ coupon_id: string }>(
      m,
      `UPDATE coupon c SET redeemed_by = t.request_id, redeemed_at = $4, redeemed_order_id = t.order_id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS t(coupon_id, request_id, order_id)
        WHERE c.coupon_id = t.coupon_id AND c.redeemed_by IS NULL
       RETURNING c.coupon_id`,
      [uses.map((u) => u.couponId), uses.map((u) => u.requestId), uses.map((u) => u.orderId), at],
    );
    return rows.length;
  }

  /**
   * Claims a batch of unused coupons past expiry for this transaction (SKIP LOCKED: replicas
   * sweeping at once take different rows, and a coupon being redeemed right now is left alone)
   * and marks them announced.
   */
  async expireDue(m: EntityManager, now: Date, limit: number): Promise<CouponRow[]> {
    const rows = await queryReturning<RawCoupon>(
      m,
      `WITH due AS (
         SELECT coupon_id FROM coupon
          WHERE redeemed_by IS NULL AND expired_at IS NULL AND expires_at <= $1
          ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE coupon c SET expired_at = $1 FROM due WHERE c.coupon_id = due.coupon_id
       RETURNING c.*`,
      [now, limit],
    );
    return rows.map(toRow);
  }

  /**
   * Marks a batch of due reminders sent and returns them: unredeemed coupons not expired at `now`
   * (neither announced nor past expiresAt) whose remind_at has passed. `reminded_at IS NULL` in the
   * UPDATE itself, with SKIP LOCKED, makes each reminder go out once across replicas and restarts
   * (the caller emits in the same transaction).
   */
  async remindDue(m: EntityManager, now: Date, limit: number): Promise<CouponRow[]> {
    const rows = await queryReturning<RawCoupon>(
      m,
      `WITH due AS (
         SELECT coupon_id FROM coupon
          WHERE remind_at IS NOT NULL AND reminded_at IS NULL AND redeemed_by IS NULL AND expired_at IS NULL
            AND remind_at <= $1 AND expires_at > $1
          ORDER BY remind_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE coupon c SET reminded_at = $1 FROM due
        WHERE c.coupon_id = due.coupon_id AND c.reminded_at IS NULL AND c.redeemed_by IS NULL
       RETURNING c.*`,
      [now, limit],
    );
    return rows.map(toRow);
  }

  async byAccount(accountId: string): Promise<CouponRow[]> {
    const rows = (await this.ds.query(`SELECT * FROM coupon WHERE account_id = $1 ORDER BY issued_at, campaign_id, idx`, [
      accountId,
    ])) as RawCoupon[];
    return rows.map(toRow);
  }
}
