// Per-minute figures from cumulative counters sampled now and then: what a chart of "claims
// decided per minute" needs when the source (GET /claims/stats) reports totals only.

export interface CounterSample {
  /** Epoch milliseconds of the sample. */
  at: number;
  /** Cumulative counts by series key (e.g. `ACCEPTED`, `REJECTED:DUPLICATE`). */
  counts: Readonly<Record<string, number>>;
}

export interface MinuteBucket {
  /** Start of the minute (ISO). */
  minute: string;
  /** Increase of each key during the minute (keys without change are left out). */
  counts: Record<string, number>;
  /** The console did not see the whole minute (it started, or samples are missing at its start). */
  partial: boolean;
}

const MINUTE = 60_000;

/** The last sample taken before `t`, or undefined. Samples are in time order. */
function lastBefore(samples: readonly CounterSample[], t: number): CounterSample | undefined {
  let found: CounterSample | undefined;
  for (const s of samples) {
    if (s.at < t) found = s;
    else break;
  }
  return found;
}

/**
 * Increase per key in each whole minute from `minutes` minutes before `now` up to now's minute. A
 * minute's increase is the last value seen in it (or at its end) minus the last value seen before
 * it; when nothing was seen before it, the minute's first sample is the baseline and the bucket is
 * marked partial. A counter that went down (the source was reset) counts from zero again.
 */
export function perMinute(samples: readonly CounterSample[], now: number, minutes: number): MinuteBucket[] {
  const out: MinuteBucket[] = [];
  const current = Math.floor(now / MINUTE) * MINUTE;
  for (let m = current - (minutes - 1) * MINUTE; m <= current; m += MINUTE) {
    const end = lastBefore(samples, m + MINUTE);
    if (!end || end.at < m) {
      // nothing seen in this minute
      const before = lastBefore(samples, m);
      out.push({ minute: new Date(m).toISOString(), counts: {}, partial: before === undefined || m === current });
      continue;
    }
    const before = lastBefore(samples, m);
    const start = before ?? samples.find((s) => s.at >= m);
    const counts: Record<string, number> = {};
    for (const [key, value] of Object.entries(end.counts)) {
      const was = start?.counts[key] ?? 0;
      const delta = value >= was ? value - was : value;
      if (delta > 0) counts[key] = delta;
    }
    out.push({ minute: new Date(m).toISOString(), counts, partial: before === undefined || m === current });
  }
  return out;
}

/** Keeps samples of the last `keepMs` (plus the one just before, the baseline of the oldest minute). */
export function trimSamples<T extends { at: number }>(samples: T[], now: number, keepMs: number): T[] {
  const from = now - keepMs;
  const firstKept = samples.findIndex((s) => s.at >= from);
  if (firstKept <= 0) return firstKept === -1 ? samples.slice(-1) : samples;
  return samples.slice(firstKept - 1);
}

/** Series keys of GET /claims/stats for one campaign: ACCEPTED and REJECTED:<reason>. */
export function claimCounts(
  stats: { accepted: number; rejected: number; byReason: Record<string, number> } | undefined,
): Record<string, number> {
  const counts: Record<string, number> = {};
  if (!stats) return counts;
  counts.ACCEPTED = stats.accepted;
  for (const [reason, n] of Object.entries(stats.byReason)) counts[`REJECTED:${reason || 'UNSPECIFIED'}`] = n;
  return counts;
}
