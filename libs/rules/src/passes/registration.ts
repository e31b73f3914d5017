/**
 * R9: a received pass must be registered within the registration window after receipt.
 * Boundary choice: `registerBy = sentAt + registrationWindowSeconds` is INCLUSIVE: a registration
 * made exactly at registerBy is accepted; 1 ms later is REGISTRATION_EXPIRED. The moment judged is
 * the user's tap (`requestedAt`), clamped to the message's own timestamp plus a skew tolerance (a
 * tap cannot come after the message reporting it), so a processing backlog never costs the user.
 * The expiry sweep (it waits a grace period past registerBy) does not change that: a tap made in
 * time but processed after the sweep because of a backlog is still honoured (R1's backlog
 * principle), and its REGISTERED answer supersedes the published expired event.
 */
export type RegistrationRejection = 'REGISTRATION_EXPIRED' | 'NOT_SENT_YET' | 'NOT_OWNER' | 'UNKNOWN_PASS';

export interface PassRegistrationState {
  accountId: string;
  sentAt: Date | null;
  registerBy: Date | null;
  registeredAt: Date | null;
  validUntil: Date | null;
  expiredAt: Date | null;
}

export interface RegistrationRequestFacts {
  accountId: string;
  requestedAt: Date;
  /** Kafka record timestamp of the request. */
  producedAt: Date;
}

export type RegistrationDecision =
  | { status: 'REGISTERED'; registeredAt: Date; validUntil: Date; alreadyRegistered: boolean }
  | { status: 'REJECTED'; reason: RegistrationRejection };

export function registerByFor(sentAt: Date, registrationWindowSeconds: number): Date {
  return new Date(sentAt.getTime() + registrationWindowSeconds * 1000);
}

/** Inclusive: registering exactly at registerBy is in time. */
export function registrationInTime(at: Date, registerBy: Date): boolean {
  return at.getTime() <= registerBy.getTime();
}

/** The sweep expires a pass once now is past registerBy plus the grace period. */
export function registrationExpired(now: Date, registerBy: Date, graceMs: number): boolean {
  return now.getTime() > registerBy.getTime() + graceMs;
}

export function decideRegistration(
  pass: PassRegistrationState | undefined,
  req: RegistrationRequestFacts,
  opts: { validitySeconds: number; skewToleranceMs: number },
): RegistrationDecision {
  if (!pass) return { status: 'REJECTED', reason: 'UNKNOWN_PASS' };
  if (pass.accountId !== req.accountId) return { status: 'REJECTED', reason: 'NOT_OWNER' };
  if (pass.registeredAt && pass.validUntil) {
    // Registering again changes nothing: same answer, same validity.
    return { status: 'REGISTERED', registeredAt: pass.registeredAt, validUntil: pass.validUntil, alreadyRegistered: true };
  }
  if (!pass.sentAt || !pass.registerBy) return { status: 'REJECTED', reason: 'NOT_SENT_YET' };
  const latest = req.producedAt.getTime() + opts.skewToleranceMs;
  const at = new Date(Math.min(req.requestedAt.getTime(), latest));
  if (!registrationInTime(at, pass.registerBy)) return { status: 'REJECTED', reason: 'REGISTRATION_EXPIRED' };
  return {
    status: 'REGISTERED',
    registeredAt: at,
    validUntil: new Date(at.getTime() + opts.validitySeconds * 1000),
    alreadyRegistered: false,
  };
}
