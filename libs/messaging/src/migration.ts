import { sqlMigration } from './sql-migration';
import { MessagingHardening1764800000000 } from './migration-hardening';

export { MessagingHardening1764800000000 };

/**
 * Tables the messaging library needs in every service database: the outbox (events waiting for
 * Kafka), the consumer offsets applied with each transaction (the inbox), and messages whose
 * handling was deferred (e.g. a download that arrived before its grant).
 */
export class MessagingTables1764300000000 extends sqlMigration('MessagingTables1764300000000', {
  up: [
    `
      CREATE TABLE outbox_message (
        id bigserial PRIMARY KEY,
        topic text NOT NULL,
        key text,
        value bytea NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE consumer_offset (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`,
    `
      CREATE TABLE deferred_message (
        id bigserial PRIMARY KEY,
        group_id text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        key text,
        value bytea,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        kafka_timestamp timestamptz NOT NULL,
        reason text NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        first_deferred_at timestamptz NOT NULL DEFAULT now(),
        next_attempt_at timestamptz NOT NULL,
        give_up_at timestamptz NOT NULL,
        UNIQUE (group_id, topic, partition, "offset")
      )`,
    `CREATE INDEX deferred_message_due ON deferred_message (group_id, next_attempt_at)`,
  ],
  down: [`DROP TABLE deferred_message`, `DROP TABLE consumer_offset`, `DROP TABLE outbox_message`],
}) {}

/** Every messaging migration, in order: services list these before their own. */
export const messagingMigrations = [MessagingTables1764300000000, MessagingHardening1764800000000];
