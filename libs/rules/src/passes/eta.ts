/**
 * R8: when will a queued pass be delivered? Passes go out one by one in slot order, so a pass's
 * delivery time follows from its distance to the "sent up to slot N" watermark and the send rate.
 *
 * The model is linear: `eta(slot) = baseAt + (slot - watermark) * secondsPerSlot`, with
 * - secondsPerSlot = 1 / rate, where rate is the send rate measured while the sender was making
 *   progress, capped by the rate the sender is currently allowed (ops may have lowered it); before
 *   anything was measured, the allowed rate;
 * - baseAt = now + the current stall: when the watermark has not moved for `s` while passes wait
 *   (dead or throttled-to-zero channel, paused campaign, no leader), we assume the stall lasts at
 *   least as long again. Estimates so slide later the longer a stall lasts, notices go out first
 *   for the passes whose deadline is nearest, and a brief blip does not notify everybody.
 * The same terms drive the set-based SQL of the estimator (see EtaModel), so code and query agree.
 */
export interface ProgressSample {
  at: Date;
  watermark: number;
}

export interface SendProgress {
  now: Date;
  /** Sent up to and including this slot (0: none yet). */
  watermark: number;
  /** Highest reserved slot. */
  reserved: number;
  /** When the watermark last advanced, or when the queue last started waiting. */
  progressAt: Date;
  /** Send rate measured while progressing (passes/s); null when not measured yet. */
  measuredRatePerSecond: number | null;
  /** The rate the sender is allowed to send at (ops control or default), > 0. */
  allowedRatePerSecond: number;
}

export interface EtaModel {
  /** Estimated delivery time of slot = watermark + 0 (the queue head's reference point). */
  baseAt: Date;
  watermark: number;
  secondsPerSlot: number;
  /** The rate the estimate assumes (passes/s). */
  ratePerSecond: number;
  /** Current stall (ms) added to every estimate. */
  stalledMs: number;
}

/**
 * Send rate over the last `windowMs` of progress, from watermark samples (any order). Only samples
 * within the window ending at the latest sample count, so a stall does not dilute the rate (the
 * stall is accounted for separately). Null when fewer than two distinct points exist.
 */
export function measuredRate(samples: readonly ProgressSample[], windowMs: number): number | null {
  if (samples.length < 2) return null;
  const sorted = [...samples].sort((a, b) => a.at.getTime() - b.at.getTime());
  const last = sorted[sorted.length - 1];
  if (!last) return null;
  const from = last.at.getTime() - windowMs;
  const first = sorted.find((s) => s.at.getTime() >= from);
  if (!first) return null;
  const seconds = (last.at.getTime() - first.at.getTime()) / 1000;
  const sent = last.watermark - first.watermark;
  if (seconds <= 0 || sent <= 0) return null;
  return sent / seconds;
}

export function etaModel(p: SendProgress): EtaModel {
  if (!(p.allowedRatePerSecond > 0)) throw new RangeError('allowedRatePerSecond must be > 0');
  const measured = p.measuredRatePerSecond !== null && p.measuredRatePerSecond > 0 ? p.measuredRatePerSecond : null;
  const rate = Math.min(p.allowedRatePerSecond, measured ?? p.allowedRatePerSecond);
  const waiting = p.reserved > p.watermark;
  const stalledMs = waiting ? Math.max(0, p.now.getTime() - p.progressAt.getTime()) : 0;
  return {
    baseAt: new Date(p.now.getTime() + stalledMs),
    watermark: p.watermark,
    secondsPerSlot: 1 / rate,
    ratePerSecond: rate,
    stalledMs,
  };
}

/** Estimated delivery of `slot` (> watermark) under the model. */
export function estimateDeliveryAt(m: EtaModel, slot: number): Date {
  const distance = Math.max(1, slot - m.watermark);
  // distance x (ms per slot), in this order: the SQL twin (ETA_SQL) multiplies the same two doubles,
  // and (distance x s) x 1000 can round across a whole millisecond from it
  const msPerSlot = m.secondsPerSlot * 1000;
  return new Date(m.baseAt.getTime() + Math.ceil(distance * msPerSlot));
}

/** When the queue up to `reserved` is expected to be sent (null when nothing waits). */
export function estimateDrainAt(m: EtaModel, reserved: number): Date | null {
  return reserved > m.watermark ? estimateDeliveryAt(m, reserved) : null;
}
