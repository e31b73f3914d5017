import { MigrationInterface, QueryRunner } from 'typeorm';

/** The body first seen under each eventId, so another body under the same eventId is parked (EVENT_ID_REUSED). */
export class RequestFingerprint1764800000300 implements MigrationInterface {
  name = 'RequestFingerprint1764800000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE request_fingerprint (
        kind text NOT NULL,
        event_id text NOT NULL,
        request_hash text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, event_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE request_fingerprint`);
  }
}
