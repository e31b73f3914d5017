import { sqlMigration } from '@platform/messaging';

export class EmoticonsSchema1764300000100 extends sqlMigration('EmoticonsSchema1764300000100', {
  up: [
    // Campaign definitions as announced on compensation.campaign.defined.v1: the fallback for an
    // ACCEPTED decision that does not carry its rewards.
    `
      CREATE TABLE campaign (
        campaign_id text PRIMARY KEY,
        definition jsonb NOT NULL,
        defined_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL
      )`,
    // One row per pack per accepted claim (I3). The id is derived from (claim_id, emoticon_id), and
    // (account, emoticon, campaign) is unique, so no redelivery or republished decision mints more.
    `
      CREATE TABLE entitlement (
        entitlement_id text PRIMARY KEY,
        claim_id text NOT NULL,
        claim_event_id text NOT NULL,
        campaign_id text NOT NULL,
        account_id text NOT NULL,
        emoticon_id text NOT NULL,
        name text NOT NULL,
        position int NOT NULL,
        validity_days int CHECK (validity_days > 0),
        state text NOT NULL CHECK (state IN ('GRANTED', 'ACTIVE', 'EXPIRED')),
        granted_at timestamptz NOT NULL,
        first_downloaded_at timestamptz,
        first_download_event_id text,
        expires_at timestamptz,
        expired_at timestamptz,
        CHECK ((state = 'GRANTED') = (first_downloaded_at IS NULL)),
        CHECK ((expires_at IS NOT NULL) = (first_downloaded_at IS NOT NULL AND validity_days IS NOT NULL)),
        CHECK ((state = 'EXPIRED') = (expired_at IS NOT NULL)),
        CHECK (state <> 'EXPIRED' OR expires_at IS NOT NULL)
      )`,
    // Leading account_id: serves the keyboard-tab read and the download lookup as well.
    `CREATE UNIQUE INDEX entitlement_one_per_pack ON entitlement (account_id, emoticon_id, campaign_id)`,
    // The sweep's index holds only clocks that are running: small, and read in expiry order.
    `CREATE INDEX entitlement_expiry_due ON entitlement (expires_at) WHERE state = 'ACTIVE' AND expires_at IS NOT NULL`,
    // Every decided download event, so a republished event (same eventId) has no second effect.
    `
      CREATE TABLE download (
        event_id text PRIMARY KEY,
        account_id text NOT NULL,
        emoticon_id text NOT NULL,
        downloaded_at timestamptz,
        outcome text NOT NULL CHECK (outcome IN ('ACTIVATED', 'FIRST_DOWNLOAD', 'REPEAT', 'EXPIRED', 'INVALID')),
        decided_at timestamptz NOT NULL
      )`,
  ],
  down: [`DROP TABLE download`, `DROP TABLE entitlement`, `DROP TABLE campaign`],
}) {}
