import { sqlMigration } from '@platform/messaging';

/**
 * The fingerprint of the request a claim answers, so one eventId gets one decision: the same
 * eventId with the same body is a redelivery (no second decision), with another body it is parked
 * as EVENT_ID_REUSED. Claims decided before this column existed have none and count as the same.
 */
export class ClaimRequestHash1764800000100 extends sqlMigration('ClaimRequestHash1764800000100', {
  up: [`ALTER TABLE claim ADD COLUMN request_hash text`],
  down: [`ALTER TABLE claim DROP COLUMN request_hash`],
}) {}
