/**
 * R8 / I6: a pass whose delivery will come later than claim + threshold gets one delay notice,
 * before that moment. Two triggers:
 * - ESTIMATE: the estimated delivery is later than the deadline (as soon as that is known);
 * - WATCHDOG: the pass is still unsent and the deadline is within `marginMs` (now >= deadline -
 *   margin), whatever the estimate says: a stuck sender or a wrong estimate cannot break I6.
 */
export type DelayNoticeTrigger = 'ESTIMATE' | 'WATCHDOG';

/** The moment by which a pass must be delivered, or noticed before: claim time + threshold. */
export function delayNoticeDeadline(claimedAt: Date, delayNoticeAfterSeconds: number): Date {
  return new Date(claimedAt.getTime() + delayNoticeAfterSeconds * 1000);
}

export interface DelayNoticeFacts {
  /** claim + threshold */
  deadline: Date;
  /** Current estimate (null: none yet). */
  estimatedDeliveryAt: Date | null;
  now: Date;
  /** Watchdog safety margin. */
  marginMs: number;
  /** Already noticed (a pass is noticed at most once) or already sent. */
  noticed: boolean;
  sent: boolean;
}

export function delayNoticeDue(f: DelayNoticeFacts): DelayNoticeTrigger | null {
  if (f.noticed || f.sent) return null;
  if (f.estimatedDeliveryAt !== null && f.estimatedDeliveryAt.getTime() > f.deadline.getTime()) return 'ESTIMATE';
  if (f.now.getTime() >= f.deadline.getTime() - f.marginMs) return 'WATCHDOG';
  return null;
}

/**
 * The delivery time a notice announces: the estimate, but never earlier than the deadline (a
 * watchdog notice is sent because on-time delivery is no longer assured).
 */
export function announcedDeliveryAt(estimate: Date | null, deadline: Date): Date {
  if (!estimate) return deadline;
  return estimate.getTime() > deadline.getTime() ? estimate : deadline;
}
