import { sqlMigration } from '@platform/messaging';

export class IntakeSchema1765000006000 extends sqlMigration('IntakeSchema1765000006000', {
  up: [
    // One row per Idempotency-Key (= the claim's eventId), written in the same transaction as the
    // outbox row of compensation.claim.requested.v1: a 202 means both are committed.
    `
      CREATE TABLE claim_intake (
        event_id text PRIMARY KEY,
        -- HMAC of the request as the contract reads it: same key + other body is 422
        request_fingerprint text NOT NULL,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        received_at timestamptz NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'ACCEPTED', 'REJECTED')),
        reason text,
        claim_id text,
        decided_at timestamptz,
        -- when this service learnt the decision (drain rate of the intake)
        settled_at timestamptz,
        CHECK ((status = 'PENDING') = (decided_at IS NULL))
      )`,
    `CREATE INDEX claim_intake_pending ON claim_intake (received_at) WHERE status = 'PENDING'`,
    `CREATE INDEX claim_intake_settled ON claim_intake (settled_at) WHERE settled_at IS NOT NULL`,
    // Every decision of the platform (claims that came through this door or straight from Kafka).
    `
      CREATE TABLE claim_decision (
        event_id text PRIMARY KEY,
        claim_id text NOT NULL,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('ACCEPTED', 'REJECTED')),
        reason text,
        makers_member boolean,
        requested_at timestamptz,
        decided_at timestamptz NOT NULL,
        rewards jsonb,
        recorded_at timestamptz NOT NULL
      )`,
    `CREATE INDEX claim_decision_by_account ON claim_decision (account_id, decided_at)`,
  ],
  down: [`DROP TABLE claim_decision`, `DROP TABLE claim_intake`],
}) {}
