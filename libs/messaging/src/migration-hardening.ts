import { sqlMigration } from './sql-migration';

/**
 * Hostile input must never stop a partition (issue 14):
 * - keys become bytes and dead letters keep their exact headers (`header_list`: repeated keys,
 *   any bytes, null values), so a NUL byte or invalid UTF-8 can always be written;
 * - `parked_message` is the last resort when even the dead letter cannot be written: the message is
 *   recorded there and the partition moves on;
 * - `outbox_quarantine` takes an outgoing record Kafka will never accept (over the broker's size
 *   limit, rejected as invalid), so it cannot block every row behind it;
 * - consumer offsets remember which cluster and which record they count (`cluster_id`,
 *   `last_fingerprint`), so a recreated topic or another cluster is noticed instead of skipped.
 */
export class MessagingHardening1764800000000 extends sqlMigration('MessagingHardening1764800000000', {
  up: [
    `ALTER TABLE outbox_message ALTER COLUMN key TYPE bytea USING convert_to(key, 'UTF8')`,
    `ALTER TABLE outbox_message ALTER COLUMN value DROP NOT NULL`,
    `ALTER TABLE outbox_message ADD COLUMN header_list jsonb`,
    `ALTER TABLE outbox_message ADD COLUMN size_bytes int`,
    `ALTER TABLE deferred_message ALTER COLUMN key TYPE bytea USING convert_to(key, 'UTF8')`,
    `ALTER TABLE deferred_message ADD COLUMN header_list jsonb`,
    `ALTER TABLE consumer_offset ADD COLUMN cluster_id text`,
    `ALTER TABLE consumer_offset ADD COLUMN last_fingerprint text`,
    `
      CREATE TABLE parked_message (
        id bigserial PRIMARY KEY,
        group_id text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        "offset" bigint NOT NULL,
        key bytea,
        value bytea,
        header_list jsonb NOT NULL DEFAULT '[]'::jsonb,
        kafka_timestamp text NOT NULL,
        reason text NOT NULL,
        failure text NOT NULL,
        parked_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (group_id, topic, partition, "offset")
      )`,
    `
      CREATE TABLE outbox_quarantine (
        id bigint PRIMARY KEY,
        topic text NOT NULL,
        key bytea,
        value bytea,
        headers jsonb NOT NULL DEFAULT '{}'::jsonb,
        header_list jsonb,
        created_at timestamptz NOT NULL,
        reason text NOT NULL,
        quarantined_at timestamptz NOT NULL DEFAULT now()
      )`,
    `
      CREATE TABLE consumer_offset_rebind (
        id bigserial PRIMARY KEY,
        group_id text NOT NULL,
        topic text NOT NULL,
        partition int NOT NULL,
        old_next_offset bigint NOT NULL,
        old_cluster_id text,
        new_cluster_id text,
        new_next_offset bigint NOT NULL,
        reason text NOT NULL,
        rebound_at timestamptz NOT NULL DEFAULT now()
      )`,
  ],
  down: [
    `DROP TABLE consumer_offset_rebind`,
    `DROP TABLE outbox_quarantine`,
    `DROP TABLE parked_message`,
    `ALTER TABLE consumer_offset DROP COLUMN last_fingerprint, DROP COLUMN cluster_id`,
    `ALTER TABLE deferred_message DROP COLUMN header_list`,
    `ALTER TABLE deferred_message ALTER COLUMN key TYPE text USING convert_from(key, 'UTF8')`,
    `ALTER TABLE outbox_message DROP COLUMN size_bytes, DROP COLUMN header_list`,
    `ALTER TABLE outbox_message ALTER COLUMN key TYPE text USING convert_from(key, 'UTF8')`,
  ],
}) {}
