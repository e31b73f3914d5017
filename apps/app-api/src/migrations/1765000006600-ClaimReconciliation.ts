import { sqlMigration } from '@platform/messaging';

/**
 * Gift packs that converge: the reconciler's state. Every ACCEPTED decision is checked once after its
 * bound, in the order this service learnt them (the cursor); only claims found missing grants get a
 * row, followed until they are COMPLETED (or reported STUCK past their re-drive attempts).
 */
export class ClaimReconciliation1765000006600 extends sqlMigration('ClaimReconciliation1765000006600', {
  up: [
    `
      CREATE TABLE claim_reconciliation (
        claim_id text PRIMARY KEY,
        event_id text NOT NULL,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('RE_DRIVEN', 'STUCK', 'COMPLETED')),
        -- re-drive requests emitted so far
        attempts integer NOT NULL,
        -- what was missing at the last check (empty once COMPLETED)
        missing text[] NOT NULL,
        first_found_at timestamptz NOT NULL,
        last_requested_at timestamptz NOT NULL,
        next_check_at timestamptz NOT NULL,
        stuck_at timestamptz,
        completed_at timestamptz,
        updated_at timestamptz NOT NULL
      )`,
    `CREATE INDEX claim_reconciliation_open ON claim_reconciliation (next_check_at) WHERE status <> 'COMPLETED'`,
    `CREATE INDEX claim_reconciliation_by_account ON claim_reconciliation (account_id)`,
    // How far the first check of ACCEPTED decisions got, in the order they were recorded here.
    `
      CREATE TABLE reconciliation_cursor (
        name text PRIMARY KEY,
        recorded_at timestamptz NOT NULL,
        event_id text NOT NULL,
        checked bigint NOT NULL DEFAULT 0,
        ran_at timestamptz NOT NULL
      )`,
    `CREATE INDEX claim_decision_accepted_by_recorded ON claim_decision (recorded_at, event_id) WHERE status = 'ACCEPTED'`,
    // A claim's grants in the read model: entitlements, coupons, pass reserved or sold out carry claimId.
    `CREATE INDEX timeline_event_by_claim ON timeline_event ((payload->>'claimId'), topic)`,
  ],
  down: [
    `DROP INDEX timeline_event_by_claim`,
    `DROP INDEX claim_decision_accepted_by_recorded`,
    `DROP TABLE reconciliation_cursor`,
    `DROP TABLE claim_reconciliation`,
  ],
}) {}
