/**
 * Why a message was parked in `<topic>.dlq` (the `dlq-reason` header, also `parked_message.reason`):
 * a closed set of codes, so a dead letter can be triaged and replayed by code
 * (`npm run dlq -- replay ... --reason-match '^SCHEMA_VIOLATION'`). On the wire a reason is
 * `CODE: detail`, as it always was; the detail says which field, id or error, for a human.
 */
export const DLQ_REASONS = {
  EMPTY_VALUE: 'the record has no value',
  TOO_LARGE: 'the value is larger than MAX_VALUE_BYTES; parked unread',
  MALFORMED_JSON: 'the value is not JSON',
  SCHEMA_VIOLATION: 'a field the contract lists is missing or mistyped, or a value the rules cannot read',
  EVENT_ID_REUSED: 'the same eventId came again with a different body (contract 2026-12)',
  NO_PASS_TERMS: 'an accepted decision without rewards.pass, for a campaign whose pass terms are unknown',
  NOT_REDRIVABLE: 'a re-drive request for a claim that is unknown, not ACCEPTED, or of another account or campaign',
  HANDLER_ERROR: 'the handler failed on this message with an error that is not transient',
  DEFERRED_TIMEOUT: 'the message waited for a precondition (a wait reason) past its bound',
  NO_HANDLER: 'a deferred message of a topic this consumer group no longer handles',
  UNKNOWN_TOPIC: 'a deferred message of a topic the contract no longer knows',
} as const;
export type DlqReasonCode = keyof typeof DLQ_REASONS;

/**
 * Why a handler cannot decide a message yet (`ctx.retryLater`): kept in `deferred_message` and
 * handled again; past its bound it is parked as `DEFERRED_TIMEOUT: <wait reason> (gave up ...)`.
 */
export const WAIT_REASONS = {
  UNKNOWN_REWARDS: 'an accepted claim without rewards, for a campaign not defined here yet',
  UNKNOWN_CAMPAIGN: 'a report for a campaign not defined here yet',
  NOT_GRANTED: 'a download of a pack the account holds no entitlement to (yet)',
  NOT_IN_REVIEW: 'a committee decision for a merchant with no case in review (yet)',
  NOT_SENT_YET: "a registration for a slot inside the sender's uncommitted window",
} as const;
export type WaitReasonCode = keyof typeof WAIT_REASONS;

export interface Reason<C extends string = string> {
  readonly code: C;
  /** For people: which field, id or error; may quote (sanitised) input. */
  readonly detail: string;
}
export type DlqReason = Reason<DlqReasonCode>;
export type WaitReason = Reason<WaitReasonCode>;

export function dlqReason(code: DlqReasonCode, detail: string): DlqReason {
  return { code, detail };
}

export function waitReason(code: WaitReasonCode, detail: string): WaitReason {
  return { code, detail };
}

/** The wire form, `CODE: detail` (the `dlq-reason` header values written before the codes were typed). */
export function formatReason(reason: Reason): string {
  return reason.detail ? `${reason.code}: ${reason.detail}` : reason.code;
}

/** Reads a `dlq-reason` header back; `code` is null for a value no version of the platform wrote. */
export function parseDlqReason(header: string): { code: DlqReasonCode | null; detail: string } {
  const m = /^([A-Z][A-Z_]*)(?:: ?([\s\S]*))?$/.exec(header);
  const code = m?.[1];
  if (code !== undefined && Object.hasOwn(DLQ_REASONS, code)) return { code: code as DlqReasonCode, detail: m?.[2] ?? '' };
  return { code: null, detail: header };
}
