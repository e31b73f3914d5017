import { sqlMigration } from '@platform/messaging';

/**
 * Issue 17: a pass reserved when its delay-notice deadline is already within the margin is noticed
 * in the reservation transaction, with notice_trigger 'RESERVATION' (next to ESTIMATE, WATCHDOG,
 * SENDER). Replaces the column's CHECK (named by Postgres after table and column).
 */
export class ReservationNoticeTrigger1765100004400 extends sqlMigration('ReservationNoticeTrigger1765100004400', {
  up: [
    `ALTER TABLE pass DROP CONSTRAINT pass_notice_trigger_check,
         ADD CONSTRAINT pass_notice_trigger_check CHECK (notice_trigger IN ('ESTIMATE', 'WATCHDOG', 'SENDER', 'RESERVATION'))`,
  ],
  down: [
    // Passes noticed at reservation were noticed by the watchdog's rule.
    `UPDATE pass SET notice_trigger = 'WATCHDOG' WHERE notice_trigger = 'RESERVATION'`,
    `ALTER TABLE pass DROP CONSTRAINT pass_notice_trigger_check,
         ADD CONSTRAINT pass_notice_trigger_check CHECK (notice_trigger IN ('ESTIMATE', 'WATCHDOG', 'SENDER'))`,
  ],
}) {}
