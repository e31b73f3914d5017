import { announcedDeliveryAt, delayNoticeDeadline, delayNoticeDue, DelayNoticeFacts } from './delay-notice';

const claimedAt = new Date('2023-01-06T00:00:00Z');
const H = 3600_000;
const deadline = delayNoticeDeadline(claimedAt, 72 * 3600);
const at = (ms: number) => new Date(deadline.getTime() + ms);
const facts = (over: Partial<DelayNoticeFacts> = {}): DelayNoticeFacts => ({
  deadline,
  estimatedDeliveryAt: null,
  now: new Date(claimedAt.getTime() + H),
  marginMs: 15 * 60_000,
  noticed: false,
  sent: false,
  ...over,
});

describe('delay notice deadline', () => {
  it('is claim time + threshold (72 h)', () => {
    expect(deadline.toISOString()).toBe('2023-01-09T00:00:00.000Z');
  });
});

describe('delay notice decision (R8, I6)', () => {
  it.each([
    ['estimate 1 ms after the deadline', facts({ estimatedDeliveryAt: at(1) }), 'ESTIMATE'],
    ['estimate exactly at the deadline is on time', facts({ estimatedDeliveryAt: at(0) }), null],
    ['estimate before the deadline', facts({ estimatedDeliveryAt: at(-H) }), null],
    ['no estimate, far from the deadline', facts(), null],
    ['watchdog: exactly deadline - margin', facts({ now: at(-15 * 60_000) }), 'WATCHDOG'],
    ['watchdog: 1 ms before deadline - margin', facts({ now: at(-15 * 60_000 - 1) }), null],
    ['watchdog even if the estimate says on time', facts({ now: at(-60_000), estimatedDeliveryAt: at(-1) }), 'WATCHDOG'],
    ['never twice', facts({ estimatedDeliveryAt: at(H), noticed: true }), null],
    ['never for a sent pass', facts({ now: at(-1), sent: true }), null],
  ])('%s', (_name, f, expected) => {
    expect(delayNoticeDue(f)).toBe(expected);
  });
});

describe('announced delivery time', () => {
  it('is the estimate when it is later than the deadline', () => {
    expect(announcedDeliveryAt(at(5000), deadline)).toEqual(at(5000));
  });
  it('is never earlier than the deadline (watchdog notices)', () => {
    expect(announcedDeliveryAt(at(-5000), deadline)).toEqual(deadline);
    expect(announcedDeliveryAt(null, deadline)).toEqual(deadline);
  });
});
