import { sqlMigration } from '@platform/messaging';

/**
 * Issue 19: a time-limited pack is reminded once (emoticon.entitlement.expiring-soon.v1) a
 * campaign-set time before it expires. The lead is known at grant (the campaign's
 * remindBeforeExpirySeconds), the end only at activation (first download): remind_before_seconds is
 * stored at grant, remind_at at activation, reminded_at when sent (with its event, one transaction).
 * Entitlements granted before this migration have no lead and get no reminder.
 */
export class EntitlementExpiryReminders1765000000200 extends sqlMigration('EntitlementExpiryReminders1765000000200', {
  up: [
    `ALTER TABLE entitlement ADD COLUMN remind_before_seconds int CHECK (remind_before_seconds > 0),
                               ADD COLUMN remind_at timestamptz, ADD COLUMN reminded_at timestamptz`,
    // Only running clocks still waiting for their reminder: the sweep's range scan stays small.
    `CREATE INDEX entitlement_reminder_due ON entitlement (remind_at)
        WHERE state = 'ACTIVE' AND remind_at IS NOT NULL AND reminded_at IS NULL`,
  ],
  down: [
    `DROP INDEX entitlement_reminder_due`,
    `ALTER TABLE entitlement DROP COLUMN reminded_at, DROP COLUMN remind_at, DROP COLUMN remind_before_seconds`,
  ],
}) {}
