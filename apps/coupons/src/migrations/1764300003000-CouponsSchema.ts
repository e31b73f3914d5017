import { sqlMigration } from '@platform/messaging';

export class CouponsSchema1764300003000 extends sqlMigration('CouponsSchema1764300003000', {
  up: [
    `
      CREATE TABLE coupon (
        -- derived from (claim_id, idx): a redelivered or republished decision cannot mint new ones
        coupon_id text PRIMARY KEY,
        claim_id text NOT NULL,
        claim_event_id text NOT NULL,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        idx int NOT NULL CHECK (idx >= 0),
        amount_won int NOT NULL CHECK (amount_won > 0),
        min_paid_won int NOT NULL CHECK (min_paid_won >= 0),
        issued_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL CHECK (expires_at > issued_at),
        -- the redemption (request id) that used it; set once, never cleared
        redeemed_by text,
        redeemed_at timestamptz,
        redeemed_order_id text,
        -- set when the sweep announced coupon.expired.v1 (once)
        expired_at timestamptz,
        UNIQUE (claim_id, idx),
        CHECK ((redeemed_by IS NULL) = (redeemed_at IS NULL)),
        CHECK (redeemed_by IS NULL OR expired_at IS NULL)
      )`,
    `CREATE INDEX coupon_by_account ON coupon (account_id)`,
    `CREATE INDEX coupon_expiry_due ON coupon (expires_at) WHERE redeemed_by IS NULL AND expired_at IS NULL`,
    `
      CREATE TABLE redemption (
        -- eventId of coupon.redemption.requested.v1, or the HTTP Idempotency-Key
        request_id text PRIMARY KEY,
        source text NOT NULL CHECK (source IN ('EVENT', 'HTTP')),
        coupon_id text NOT NULL,
        account_id text NOT NULL,
        order_id text NOT NULL,
        -- as received (any JSON number), so a replay can be compared with the original
        order_amount_won double precision NOT NULL,
        status text NOT NULL CHECK (status IN ('REDEEMED', 'REJECTED')),
        reason text,
        paid_amount_won int,
        discount_won int NOT NULL,
        decided_at timestamptz NOT NULL,
        CHECK ((status = 'REDEEMED') = (reason IS NULL)),
        CHECK ((status = 'REDEEMED') = (paid_amount_won IS NOT NULL))
      )`,
    // R6: each coupon is redeemed at most once, whatever path or race: enforced by the database.
    `CREATE UNIQUE INDEX redemption_one_redeemed ON redemption (coupon_id) WHERE status = 'REDEEMED'`,
  ],
  down: [`DROP TABLE redemption`, `DROP TABLE coupon`],
}) {}
