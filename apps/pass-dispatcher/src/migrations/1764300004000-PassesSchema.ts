import { sqlMigration } from '@platform/messaging';

export class PassesSchema1764300004000 extends sqlMigration('PassesSchema1764300004000', {
  up: [
    // One row per campaign: the slot counter (R7), the send watermark (R8) and the ops controls.
    `
      CREATE TABLE pass_campaign (
        campaign_id text PRIMARY KEY,
        cap integer NOT NULL CHECK (cap >= 0),
        -- slots 1..reserved are taken; only ever raised by reservation, under this row's lock
        reserved integer NOT NULL DEFAULT 0,
        sold_out bigint NOT NULL DEFAULT 0,
        delay_notice_after_seconds integer NOT NULL CHECK (delay_notice_after_seconds > 0),
        registration_window_seconds integer NOT NULL CHECK (registration_window_seconds > 0),
        validity_seconds integer NOT NULL CHECK (validity_seconds > 0),
        storage_gb integer NOT NULL,
        -- every slot <= sent_watermark was delivered (contiguous)
        sent_watermark integer NOT NULL DEFAULT 0,
        -- when the watermark last advanced, or the queue last started waiting
        progress_at timestamptz NOT NULL,
        paused boolean NOT NULL DEFAULT false,
        -- null: the service default (DISPATCH_RATE_PER_SECOND)
        rate_per_second double precision CHECK (rate_per_second IS NULL OR rate_per_second > 0),
        -- fencing token: raised by each new sender; a watermark write with an old epoch changes nothing
        leader_epoch bigint NOT NULL DEFAULT 0,
        leader_id text,
        leader_since timestamptz,
        last_send_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK (reserved >= 0 AND reserved <= cap),
        CHECK (sent_watermark >= 0 AND sent_watermark <= reserved)
      )`,
    `
      CREATE TABLE pass (
        pass_id uuid PRIMARY KEY,
        campaign_id text NOT NULL REFERENCES pass_campaign (campaign_id),
        slot integer NOT NULL CHECK (slot >= 1),
        claim_id text NOT NULL,
        event_id text NOT NULL,
        account_id text NOT NULL,
        claimed_at timestamptz NOT NULL,
        reserved_at timestamptz NOT NULL,
        -- claimed_at + delay threshold: deliver before, or notice before
        notice_deadline timestamptz NOT NULL,
        sent_at timestamptz,
        register_by timestamptz,
        channel_duplicate boolean,
        notice_at timestamptz,
        notice_eta timestamptz,
        notice_trigger text CHECK (notice_trigger IN ('ESTIMATE', 'WATCHDOG', 'SENDER')),
        registered_at timestamptz,
        valid_until timestamptz,
        expired_at timestamptz,
        CONSTRAINT pass_slot_unique UNIQUE (campaign_id, slot),
        CONSTRAINT pass_claim_unique UNIQUE (claim_id),
        CHECK ((sent_at IS NULL) = (register_by IS NULL)),
        CHECK (notice_at IS NULL OR notice_trigger IS NOT NULL)
      )`,
    `CREATE INDEX pass_by_account ON pass (account_id)`,
    // Unsent passes without a notice, by deadline: the watchdog's and the estimator's candidates.
    `CREATE INDEX pass_notice_due ON pass (notice_deadline) WHERE sent_at IS NULL AND notice_at IS NULL`,
    `CREATE INDEX pass_expiry_due ON pass (register_by) WHERE registered_at IS NULL AND expired_at IS NULL AND register_by IS NOT NULL`,
    // Accepted claims that came after the cap (decided once per claim, like passes).
    `
      CREATE TABLE pass_sold_out (
        claim_id text PRIMARY KEY,
        campaign_id text NOT NULL REFERENCES pass_campaign (campaign_id),
        account_id text NOT NULL,
        event_id text NOT NULL,
        decided_at timestamptz NOT NULL
      )`,
    // Registration answers by request eventId: a repeated request gets the very same answer.
    `
      CREATE TABLE pass_registration (
        event_id text PRIMARY KEY,
        pass_id text NOT NULL,
        account_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('REGISTERED', 'REJECTED')),
        reason text,
        decision jsonb NOT NULL,
        decided_at timestamptz NOT NULL
      )`,
    // Watermark progress points, for the measured send rate.
    `
      CREATE TABLE pass_progress_sample (
        campaign_id text NOT NULL REFERENCES pass_campaign (campaign_id),
        at timestamptz NOT NULL,
        watermark integer NOT NULL,
        PRIMARY KEY (campaign_id, at)
      )`,
  ],
  down: [
    `DROP TABLE pass_progress_sample`,
    `DROP TABLE pass_registration`,
    `DROP TABLE pass_sold_out`,
    `DROP TABLE pass`,
    `DROP TABLE pass_campaign`,
  ],
}) {}
