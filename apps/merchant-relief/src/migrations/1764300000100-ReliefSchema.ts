import { sqlMigration } from '@platform/messaging';

/**
 * The relief service's state. Money is integer won (bigint). Every inbound event gets one stored
 * answer keyed by its eventId (relief_report, review_decision), so the same event always yields the
 * same decision; one relief per merchant per campaign is the primary key of `relief`; what a
 * merchant is owed is the sum of its append-only payout_ledger entries, one per source event.
 */
export class ReliefSchema1764300000100 extends sqlMigration('ReliefSchema1764300000100', {
  up: [
    // Copies of compensation.campaign.defined.v1 (the claims service owns campaigns).
    `
      CREATE TABLE campaign (
        campaign_id text PRIMARY KEY,
        definition jsonb NOT NULL,
        -- null: the campaign has no relief programme
        relief jsonb,
        defined_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL
      )`,

    // The one relief a merchant gets in a campaign (R10), with its committee review if referred.
    `
      CREATE TABLE relief (
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        report_event_id text NOT NULL UNIQUE,
        assessed_loss_won bigint NOT NULL CHECK (assessed_loss_won >= 0),
        tier text NOT NULL CHECK (tier IN ('T30K', 'T50K', 'REVIEW')),
        tier_amount_won bigint NOT NULL CHECK (tier_amount_won >= 0),
        review_status text NOT NULL CHECK (review_status IN ('NONE', 'PENDING', 'APPROVED', 'DECLINED')),
        review_event_id text UNIQUE,
        additional_amount_won bigint NOT NULL DEFAULT 0 CHECK (additional_amount_won >= 0),
        reported_at timestamptz NOT NULL,
        decided_at timestamptz NOT NULL,
        reviewed_at timestamptz,
        PRIMARY KEY (campaign_id, merchant_id),
        CHECK ((tier = 'REVIEW') = (review_status <> 'NONE')),
        CHECK (tier <> 'REVIEW' OR tier_amount_won = 0),
        CHECK ((review_status IN ('APPROVED', 'DECLINED')) = (review_event_id IS NOT NULL AND reviewed_at IS NOT NULL)),
        CHECK (review_status = 'APPROVED' OR additional_amount_won = 0)
      )`,
    `CREATE INDEX relief_by_merchant ON relief (merchant_id)`,
    `CREATE INDEX relief_review_queue ON relief (review_status, decided_at, campaign_id, merchant_id) WHERE tier = 'REVIEW'`,

    // The answer to every damage report event (accepted or rejected), as published.
    `
      CREATE TABLE relief_report (
        event_id text PRIMARY KEY,
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        -- as reported (may be negative, fractional or missing: then the report was rejected)
        assessed_loss_won numeric,
        status text NOT NULL CHECK (status IN ('DECIDED', 'REJECTED')),
        tier text CHECK (tier IN ('T30K', 'T50K', 'REVIEW')),
        amount_won bigint NOT NULL CHECK (amount_won >= 0),
        reason text,
        reported_at timestamptz NOT NULL,
        decided_at timestamptz NOT NULL,
        answer jsonb NOT NULL,
        CHECK ((status = 'DECIDED') = (reason IS NULL)),
        CHECK ((status = 'DECIDED') = (tier IS NOT NULL))
      )`,
    `CREATE INDEX relief_report_by_merchant ON relief_report (merchant_id)`,
    `CREATE INDEX relief_report_by_campaign ON relief_report (campaign_id, status, reason)`,

    // The answer to every committee decision event, as published.
    `
      CREATE TABLE review_decision (
        event_id text PRIMARY KEY,
        merchant_id text NOT NULL,
        -- the case it was applied to (or refused for); null when the merchant had none
        campaign_id text,
        approved boolean NOT NULL,
        requested_amount_won numeric,
        status text NOT NULL CHECK (status IN ('APPROVED', 'DECLINED', 'REJECTED')),
        reason text,
        additional_amount_won bigint NOT NULL CHECK (additional_amount_won >= 0),
        total_amount_won bigint NOT NULL CHECK (total_amount_won >= 0),
        committee_decided_at timestamptz NOT NULL,
        decided_at timestamptz NOT NULL,
        answer jsonb NOT NULL,
        CHECK ((status = 'REJECTED') = (reason IS NOT NULL))
      )`,
    `CREATE INDEX review_decision_by_merchant ON review_decision (merchant_id)`,

    // Money owed, append-only: one entry per source event (entry_key), never updated or deleted.
    `
      CREATE TABLE payout_ledger (
        entry_id bigserial PRIMARY KEY,
        entry_key text NOT NULL UNIQUE,
        campaign_id text NOT NULL,
        merchant_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('TIER_PAYMENT', 'REVIEW_ADDITION')),
        amount_won bigint NOT NULL CHECK (amount_won > 0),
        source_event_id text NOT NULL,
        created_at timestamptz NOT NULL,
        FOREIGN KEY (campaign_id, merchant_id) REFERENCES relief (campaign_id, merchant_id)
      )`,
    `CREATE INDEX payout_ledger_by_merchant ON payout_ledger (merchant_id, campaign_id)`,
    `
      CREATE FUNCTION payout_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'payout_ledger is append-only (% refused)', TG_OP USING ERRCODE = 'restrict_violation';
      END $$`,
    `
      CREATE TRIGGER payout_ledger_no_change BEFORE UPDATE OR DELETE ON payout_ledger
      FOR EACH ROW EXECUTE FUNCTION payout_ledger_append_only()`,
    `
      CREATE TRIGGER payout_ledger_no_truncate BEFORE TRUNCATE ON payout_ledger
      FOR EACH STATEMENT EXECUTE FUNCTION payout_ledger_append_only()`,
    // What each merchant is owed, for the payments team's export.
    `
      CREATE VIEW payout_balance AS
        SELECT campaign_id, merchant_id, sum(amount_won)::bigint AS owed_won, count(*)::int AS entries, max(created_at) AS last_entry_at
          FROM payout_ledger GROUP BY campaign_id, merchant_id`,

    // When this service first saw an event it had to keep waiting (unknown campaign, decision
    // ahead of its report): the waiting bound counts from here, not from the producer's clock.
    `
      CREATE TABLE relief_waiting (
        kind text NOT NULL CHECK (kind IN ('REPORT', 'REVIEW')),
        event_id text NOT NULL,
        first_seen_at timestamptz NOT NULL,
        PRIMARY KEY (kind, event_id)
      )`,
  ],
  down: [
    `DROP TABLE relief_waiting`,
    `DROP VIEW payout_balance`,
    `DROP TABLE payout_ledger`,
    `DROP FUNCTION payout_ledger_append_only()`,
    `DROP TABLE review_decision`,
    `DROP TABLE relief_report`,
    `DROP TABLE relief`,
    `DROP TABLE campaign`,
  ],
}) {}
