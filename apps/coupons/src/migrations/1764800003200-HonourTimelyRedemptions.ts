import { sqlMigration } from '@platform/messaging';

/**
 * A redemption requested while the coupon was valid is honoured even when the expiry sweep
 * announced coupon.expired.v1 before the request was processed (a backlog, R1's principle): such a
 * coupon ends up both announced-expired and redeemed, the redemption superseding the announcement.
 * The old rule "never both" goes.
 */
export class HonourTimelyRedemptions1764800003200 extends sqlMigration('HonourTimelyRedemptions1764800003200', {
  up: [
    `
      DO $$
      DECLARE c text;
      BEGIN
        FOR c IN SELECT conname FROM pg_constraint
                  WHERE conrelid = 'coupon'::regclass AND contype = 'c'
                    AND pg_get_constraintdef(oid) LIKE '%redeemed_by IS NULL%expired_at IS NULL%'
        LOOP
          EXECUTE format('ALTER TABLE coupon DROP CONSTRAINT %I', c);
        END LOOP;
      END $$`,
  ],
  down: [`ALTER TABLE coupon ADD CHECK (redeemed_by IS NULL OR expired_at IS NULL)`],
}) {}
