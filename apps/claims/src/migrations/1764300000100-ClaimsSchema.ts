import { sqlMigration } from '@platform/messaging';

export class ClaimsSchema1764300000100 extends sqlMigration('ClaimsSchema1764300000100', {
  up: [
    `
      CREATE TABLE campaign (
        campaign_id text PRIMARY KEY,
        definition jsonb NOT NULL,
        opens_at timestamptz NOT NULL,
        closes_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        -- set once compensation.campaign.defined.v1 was written to the outbox
        announced_at timestamptz
      )`,
    `
      CREATE TABLE claim (
        claim_id uuid PRIMARY KEY,
        event_id text NOT NULL UNIQUE,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('ACCEPTED', 'REJECTED')),
        reason text,
        talk_linked boolean NOT NULL,
        makers_member boolean NOT NULL,
        phone_country text,
        phone_hash text,
        requested_at timestamptz,
        produced_at timestamptz NOT NULL,
        decided_at timestamptz NOT NULL,
        CHECK ((status = 'ACCEPTED') = (reason IS NULL))
      )`,
    // R2 / I2: at most one accepted claim per account per campaign, enforced by the database.
    `CREATE UNIQUE INDEX claim_one_accepted ON claim (campaign_id, account_id) WHERE status = 'ACCEPTED'`,
    `CREATE INDEX claim_by_account ON claim (account_id)`,
    `CREATE INDEX claim_by_campaign_status ON claim (campaign_id, status, reason)`,
  ],
  down: [`DROP TABLE claim`, `DROP TABLE campaign`],
}) {}
