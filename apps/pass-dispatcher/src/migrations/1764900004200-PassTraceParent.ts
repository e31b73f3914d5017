import { sqlMigration } from '@platform/messaging';

/**
 * The claim's trace context (W3C traceparent of the reservation) on each pass: the send round and
 * the delay notices, which timers trigger days later, continue the claim's trace instead of
 * starting unrelated ones. Passes reserved before this column existed have none.
 */
export class PassTraceParent1764900004200 extends sqlMigration('PassTraceParent1764900004200', {
  up: [`ALTER TABLE pass ADD COLUMN trace_parent text`],
  down: [`ALTER TABLE pass DROP COLUMN trace_parent`],
}) {}
