import { sqlMigration } from '@platform/messaging';

/**
 * The fingerprint of the request a registration answer belongs to: the same eventId with the same
 * body gets the stored answer again, with another body it is parked as EVENT_ID_REUSED. Answers
 * stored before this column existed have none and count as the same request.
 */
export class RegistrationRequestHash1764800004100 extends sqlMigration('RegistrationRequestHash1764800004100', {
  up: [`ALTER TABLE pass_registration ADD COLUMN request_hash text`],
  down: [`ALTER TABLE pass_registration DROP COLUMN request_hash`],
}) {}
