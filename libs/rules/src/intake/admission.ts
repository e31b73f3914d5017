/**
 * Admission at the app backend's front door (apps/app-api). A front door that times out under load
 * multiplies its own load (clients retry what they never heard back about), so when the work
 * behind it passes a bound it answers at once with 429 and a Retry-After that says when the backlog
 * will have drained, computed from the rate it is measured to drain at.
 */

/** One queue behind the front door, as last measured. */
export interface BacklogSource {
  /** e.g. `intake-pending`, `claims-consumer-lag`. */
  name: string;
  /** Items waiting. */
  backlog: number;
  /** The most this source may hold before new requests are refused. */
  bound: number;
  /** Items per second it was measured to drain at (decided, consumed); 0 when nothing moved. */
  drainPerSecond: number;
}

export interface AdmissionPolicy {
  /** Retries are asked to wait until the backlog is back under this share of its bound (hysteresis). */
  resumeAtShare: number;
  minRetryAfterSeconds: number;
  /** Also the answer when nothing drains at all (a stopped consumer): the wait is unknown, not infinite. */
  maxRetryAfterSeconds: number;
  /**
   * Up to this share is added to each caller's wait, spread by `spread` (0..1, e.g. from the
   * request's key), so a herd told to come back does not come back in the same second.
   */
  spreadShare: number;
}

export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = {
  resumeAtShare: 0.8,
  minRetryAfterSeconds: 1,
  maxRetryAfterSeconds: 120,
  spreadShare: 0.5,
};

export type Admission =
  | { admit: true }
  | {
      admit: false;
      /** The source that needs the longest wait. */
      source: string;
      backlog: number;
      bound: number;
      drainPerSecond: number;
      retryAfterSeconds: number;
    };

/** Seconds until `s` is back under its resume level at its measured drain rate (before spread and clamping). */
export function drainSeconds(s: BacklogSource, policy: AdmissionPolicy = DEFAULT_ADMISSION_POLICY): number {
  const excess = s.backlog - s.bound * policy.resumeAtShare;
  if (excess <= 0) return 0;
  if (!(s.drainPerSecond > 0)) return Number.POSITIVE_INFINITY;
  return excess / s.drainPerSecond;
}

/**
 * Admit unless a source is over its bound; when refusing, the wait is the longest drain time of
 * the sources over their bound, spread per caller, clamped to the policy's range, whole seconds
 * (Retry-After takes integers).
 */
export function admit(sources: readonly BacklogSource[], spread = 0, policy: AdmissionPolicy = DEFAULT_ADMISSION_POLICY): Admission {
  let worst: { s: BacklogSource; seconds: number } | null = null;
  for (const s of sources) {
    if (s.backlog <= s.bound) continue;
    const seconds = drainSeconds(s, policy);
    if (!worst || seconds > worst.seconds) worst = { s, seconds };
  }
  if (!worst) return { admit: true };
  const base = Math.min(worst.seconds, policy.maxRetryAfterSeconds);
  const spreadBy = Math.min(Math.max(spread, 0), 1) * policy.spreadShare * base;
  const seconds = Math.ceil(Math.min(Math.max(base + spreadBy, policy.minRetryAfterSeconds), policy.maxRetryAfterSeconds));
  return {
    admit: false,
    source: worst.s.name,
    backlog: worst.s.backlog,
    bound: worst.s.bound,
    drainPerSecond: worst.s.drainPerSecond,
    retryAfterSeconds: seconds,
  };
}

/** A counter observed over time: (instant in ms, running total). */
export interface CounterSample {
  atMs: number;
  total: number;
}

/**
 * The rate a counter grew at over the samples inside the window ending at the newest sample
 * (per second; 0 with fewer than two samples or no time between them). A counter that went back
 * (a restart, a rewound offset) counts from where it went back.
 */
export function ratePerSecond(samples: readonly CounterSample[], windowMs: number): number {
  const newest = samples[samples.length - 1];
  if (!newest) return 0;
  const inWindow = samples.filter((x) => x.atMs >= newest.atMs - windowMs);
  let grown = 0;
  for (let i = 1; i < inWindow.length; i++) {
    const a = inWindow[i - 1] as CounterSample;
    const b = inWindow[i] as CounterSample;
    grown += b.total >= a.total ? b.total - a.total : b.total;
  }
  const first = inWindow[0] as CounterSample;
  const seconds = (newest.atMs - first.atMs) / 1000;
  return seconds > 0 ? grown / seconds : 0;
}
