import { sqlMigration } from '@platform/messaging';

/**
 * Issue 19: an unredeemed coupon is reminded once (coupon.expiring-soon.v1) a campaign-set time
 * before it expires. remind_at is fixed at issue (NULL: the campaign sets no reminder); reminded_at
 * marks the reminder sent, in the same transaction as its event. Coupons issued before this
 * migration have no remind_at and get no reminder.
 */
export class CouponExpiryReminders1765000003300 extends sqlMigration('CouponExpiryReminders1765000003300', {
  up: [
    `ALTER TABLE coupon ADD COLUMN remind_at timestamptz, ADD COLUMN reminded_at timestamptz`,
    // Only coupons still waiting for their reminder: the sweep's range scan stays small.
    `CREATE INDEX coupon_reminder_due ON coupon (remind_at)
        WHERE remind_at IS NOT NULL AND reminded_at IS NULL AND redeemed_by IS NULL AND expired_at IS NULL`,
  ],
  down: [`DROP INDEX coupon_reminder_due`, `ALTER TABLE coupon DROP COLUMN reminded_at, DROP COLUMN remind_at`],
}) {}
