import { sqlMigration } from '@platform/messaging';

/**
 * The timeline read model: every grant event of an account as it happened, one row per event by
 * its natural key (redelivery and replays change nothing), and the send progress of each
 * campaign's pass queue (for a pass's position in it).
 */
export class TimelineReadModel1765000006100 extends sqlMigration('TimelineReadModel1765000006100', {
  up: [
    `
      CREATE TABLE timeline_event (
        topic text NOT NULL,
        natural_key text NOT NULL,
        account_id text NOT NULL,
        occurred_at timestamptz NOT NULL,
        payload jsonb NOT NULL,
        recorded_at timestamptz NOT NULL,
        PRIMARY KEY (topic, natural_key)
      )`,
    `CREATE INDEX timeline_event_by_account ON timeline_event (account_id, occurred_at)`,
    `
      CREATE TABLE pass_queue_progress (
        campaign_id text PRIMARY KEY,
        -- passes go out in slot order (R8), so the highest sent slot is the queue's head
        sent_through_slot integer NOT NULL,
        sent_count bigint NOT NULL,
        first_sent_at timestamptz NOT NULL,
        last_sent_at timestamptz NOT NULL
      )`,
    `CREATE INDEX claim_intake_by_account ON claim_intake (account_id)`,
  ],
  down: [`DROP INDEX claim_intake_by_account`, `DROP TABLE pass_queue_progress`, `DROP TABLE timeline_event`],
}) {}
