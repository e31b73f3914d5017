import { sqlMigration } from '@platform/messaging';

/**
 * Issue 19: a sent, unregistered pass is reminded once (talkdrawer.pass.registration.expiring-soon.v1)
 * a campaign-set time before registerBy. The lead is a campaign term (fixed by the first decision
 * carrying it, like the other terms); a pass is due once registerBy - lead has come, and
 * registration_reminded_at marks the reminder sent (with its event, one transaction). Campaigns
 * known before this migration have no lead: their passes get no reminder.
 */
export class RegistrationReminders1765000004300 extends sqlMigration('RegistrationReminders1765000004300', {
  up: [
    `ALTER TABLE pass_campaign ADD COLUMN remind_before_registration_ends_seconds int CHECK (remind_before_registration_ends_seconds > 0)`,
    `ALTER TABLE pass ADD COLUMN registration_reminded_at timestamptz`,
    // Only sent passes still open and not reminded: the sweep's range scan on register_by skips the
    // (many) passes it already reminded.
    `CREATE INDEX pass_registration_reminder_due ON pass (register_by)
        WHERE register_by IS NOT NULL AND registered_at IS NULL AND expired_at IS NULL AND registration_reminded_at IS NULL`,
  ],
  down: [
    `DROP INDEX pass_registration_reminder_due`,
    `ALTER TABLE pass DROP COLUMN registration_reminded_at`,
    `ALTER TABLE pass_campaign DROP COLUMN remind_before_registration_ends_seconds`,
  ],
}) {}
