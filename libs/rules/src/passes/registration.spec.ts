import { decideRegistration, PassRegistrationState, registerByFor, registrationExpired, registrationInTime } from './registration';

const DAY = 86400;
const sentAt = new Date('2023-01-10T03:00:00Z');
const registerBy = registerByFor(sentAt, 30 * DAY);
const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);
const pass = (over: Partial<PassRegistrationState> = {}): PassRegistrationState => ({
  accountId: 'acct-1',
  sentAt,
  registerBy,
  registeredAt: null,
  validUntil: null,
  expiredAt: null,
  ...over,
});
const opts = { validitySeconds: 30 * DAY, skewToleranceMs: 5 * 60_000 };
const req = (requestedAt: Date, accountId = 'acct-1', producedAt = requestedAt) => ({ accountId, requestedAt, producedAt });

describe('registration window (R9): registerBy = sentAt + 30 days, inclusive', () => {
  it('registerBy is exactly 30 days after receipt', () => {
    expect(registerBy.toISOString()).toBe('2023-02-09T03:00:00.000Z');
  });

  it.each([
    ['right after receipt', ms(sentAt, 1), 'REGISTERED'],
    ['1 ms before registerBy', ms(registerBy, -1), 'REGISTERED'],
    ['exactly at registerBy', registerBy, 'REGISTERED'],
    ['1 ms after registerBy', ms(registerBy, 1), 'REGISTRATION_EXPIRED'],
    ['a day late', ms(registerBy, DAY * 1000), 'REGISTRATION_EXPIRED'],
  ])('%s -> %s', (_n, requestedAt, expected) => {
    const d = decideRegistration(pass(), req(requestedAt), opts);
    expect(d.status === 'REGISTERED' ? d.status : d.reason).toBe(expected);
  });

  it('validUntil = registration moment + validity', () => {
    const d = decideRegistration(pass(), req(registerBy), opts);
    expect(d).toEqual({
      status: 'REGISTERED',
      registeredAt: registerBy,
      validUntil: ms(registerBy, 30 * DAY * 1000),
      alreadyRegistered: false,
    });
  });

  it('judges the tap, not the processing time (a backlog costs nothing)', () => {
    const d = decideRegistration(pass(), req(registerBy, 'acct-1', ms(registerBy, 4 * 60_000)), opts);
    expect(d.status).toBe('REGISTERED');
  });

  it('clamps a tap dated after its own message (beyond the tolerance) to the message time', () => {
    // the message was produced 10 min before registerBy but claims a tap 1 h after it: the tap is
    // clamped to production + tolerance (5 min before registerBy), never moved later.
    const produced = ms(registerBy, -10 * 60_000);
    const d = decideRegistration(pass(), req(ms(registerBy, 60 * 60_000), 'acct-1', produced), opts);
    expect(d).toMatchObject({ status: 'REGISTERED', registeredAt: ms(produced, 5 * 60_000) });
  });

  it.each([
    ['unknown pass', undefined, req(ms(sentAt, 1)), 'UNKNOWN_PASS'],
    ['someone else', pass(), req(ms(sentAt, 1), 'acct-2'), 'NOT_OWNER'],
    ['not sent yet', pass({ sentAt: null, registerBy: null }), req(ms(sentAt, 1)), 'NOT_SENT_YET'],
    [
      'expired by the sweep, tapped too late',
      pass({ expiredAt: ms(registerBy, 1) }),
      req(ms(registerBy, 1), 'acct-1', ms(registerBy, 2)),
      'REGISTRATION_EXPIRED',
    ],
  ])('%s -> %s', (_n, p, r, reason) => {
    expect(decideRegistration(p, r, opts)).toEqual({ status: 'REJECTED', reason });
  });

  it('honours a tap made in time even when the expiry sweep ran before it was processed (backlog, R1)', () => {
    const d = decideRegistration(
      pass({ expiredAt: ms(registerBy, 60_000) }),
      req(ms(registerBy, -1), 'acct-1', ms(registerBy, 2 * 3600_000)),
      opts,
    );
    expect(d).toMatchObject({ status: 'REGISTERED', registeredAt: ms(registerBy, -1), alreadyRegistered: false });
  });

  it('a second registration of a registered pass gets the same validity', () => {
    const p = pass({ registeredAt: ms(sentAt, 1000), validUntil: ms(sentAt, 1000 + 30 * DAY * 1000) });
    expect(decideRegistration(p, req(ms(registerBy, 5000)), opts)).toEqual({
      status: 'REGISTERED',
      registeredAt: ms(sentAt, 1000),
      validUntil: ms(sentAt, 1000 + 30 * DAY * 1000),
      alreadyRegistered: true,
    });
  });

  it('the owner check comes before anything else is revealed', () => {
    expect(decideRegistration(pass({ sentAt: null, registerBy: null }), req(sentAt, 'acct-2'), opts)).toEqual({
      status: 'REJECTED',
      reason: 'NOT_OWNER',
    });
  });
});

describe('registration boundary helpers', () => {
  it.each([
    [ms(registerBy, -1), true],
    [registerBy, true],
    [ms(registerBy, 1), false],
  ])('in time at %s: %s', (t, ok) => {
    expect(registrationInTime(t, registerBy)).toBe(ok);
  });

  it.each([
    [registerBy, 0, false],
    [ms(registerBy, 1), 0, true],
    [ms(registerBy, 60_000), 60_000, false],
    [ms(registerBy, 60_001), 60_000, true],
  ])('sweep at %s with grace %i expires: %s', (now, grace, expired) => {
    expect(registrationExpired(now, registerBy, grace)).toBe(expired);
  });
});
