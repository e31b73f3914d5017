/**
 * R5: emoticon entitlement clocks. A pack is either permanent (`validityDays: null`) or usable for
 * `validityDays` counted from its FIRST download; later downloads never move the clock. A pack is
 * usable strictly before `expiresAt`: at the exact instant `expiresAt` it is expired.
 * Durations are exact (a day is 86,400,000 ms; Korea has no daylight-saving time).
 */

const DAY_MS = 86_400_000;

/** What the clock rules need to know about one entitlement. */
export interface EntitlementClock {
  /** null: permanent. */
  validityDays: number | null;
  /** null: never downloaded yet (for time-limited packs the clock has not started). */
  firstDownloadedAt: Date | null;
  /** null: permanent, or clock not started. */
  expiresAt: Date | null;
}

export type DownloadVerdict =
  /** First download of a time-limited pack: its clock starts now. */
  | { kind: 'ACTIVATE'; expiresAt: Date }
  /** First download of a permanent pack: recorded, nothing ever expires. */
  | { kind: 'FIRST_PERMANENT' }
  /** A later download while still usable (or a download older than the one that started the clock): no change. */
  | { kind: 'REPEAT' }
  /** Downloaded at or after expiresAt: refused. */
  | { kind: 'EXPIRED'; expiresAt: Date };

/** When a pack whose clock starts at `firstDownloadAt` stops being usable; null for permanent packs. */
export function packExpiresAt(validityDays: number | null, firstDownloadAt: Date): Date | null {
  if (validityDays === null) return null;
  if (!Number.isInteger(validityDays) || validityDays <= 0)
    throw new RangeError(`validityDays must be a positive integer, got ${validityDays}`);
  return new Date(firstDownloadAt.getTime() + validityDays * DAY_MS);
}

/** Expired at `at`: the clock runs and `at` is at or after its end (the end instant itself is expired). */
export function isPackExpiredAt(expiresAt: Date | null, at: Date): boolean {
  return expiresAt !== null && at.getTime() >= expiresAt.getTime();
}

/**
 * Judges one download (at `downloadedAt`, the moment the user tapped, not the moment we process it:
 * a backlog must not cost the user) against an entitlement's clock.
 */
export function judgeDownload(e: EntitlementClock, downloadedAt: Date): DownloadVerdict {
  if (e.expiresAt !== null && isPackExpiredAt(e.expiresAt, downloadedAt)) return { kind: 'EXPIRED', expiresAt: e.expiresAt };
  if (e.firstDownloadedAt !== null) return { kind: 'REPEAT' };
  const expiresAt = packExpiresAt(e.validityDays, downloadedAt);
  return expiresAt === null ? { kind: 'FIRST_PERMANENT' } : { kind: 'ACTIVATE', expiresAt };
}

/**
 * A download time that cannot be true: unreadable, or later than the message carrying it (its Kafka
 * timestamp) beyond the clock-skew tolerance. Such a download would start a clock in the future.
 */
export function isImplausibleDownloadTime(downloadedAt: Date, producedAt: Date, skewToleranceMs: number): boolean {
  if (Number.isNaN(downloadedAt.getTime())) return true;
  return downloadedAt.getTime() > producedAt.getTime() + skewToleranceMs;
}

/** How the keyboard tab shows a pack. */
export type PackState = 'NOT_DOWNLOADED' | 'ACTIVE' | 'EXPIRED';

export interface PackView {
  state: PackState;
  usable: boolean;
  permanent: boolean;
  /** Usable strictly before this instant; null: permanent, or the clock has not started. */
  usableUntil: Date | null;
}

/** The pack as of `at` (derived from the clock, so it is right even before the expiry sweep ran). */
export function packViewAt(e: EntitlementClock, at: Date): PackView {
  const permanent = e.validityDays === null;
  if (e.firstDownloadedAt === null) return { state: 'NOT_DOWNLOADED', usable: true, permanent, usableUntil: null };
  if (isPackExpiredAt(e.expiresAt, at)) return { state: 'EXPIRED', usable: false, permanent, usableUntil: e.expiresAt };
  return { state: 'ACTIVE', usable: true, permanent, usableUntil: e.expiresAt };
}
