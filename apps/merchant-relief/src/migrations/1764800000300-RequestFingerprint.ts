import { sqlMigration } from '@platform/messaging';

/** The body first seen under each eventId, so another body under the same eventId is parked (EVENT_ID_REUSED). */
export class RequestFingerprint1764800000300 extends sqlMigration('RequestFingerprint1764800000300', {
  up: [
    `
      CREATE TABLE request_fingerprint (
        kind text NOT NULL,
        event_id text NOT NULL,
        request_hash text NOT NULL,
        first_seen_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, event_id)
      )`,
  ],
  down: [`DROP TABLE request_fingerprint`],
}) {}
