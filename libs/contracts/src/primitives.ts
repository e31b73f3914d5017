import { z } from 'zod';

/** A written date that exists on the calendar (no 2023-02-30, no hour 24) and that JavaScript can read. */
function isRealInstant(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/.exec(s);
  if (!m) return false;
  const [y, mo, d, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth && h <= 23 && !Number.isNaN(Date.parse(s));
}

/** ISO-8601 instant with an explicit offset (`Z` or `+09:00`), as the public contract requires. */
export const isoInstant = z.iso.datetime({ offset: true }).refine(isRealInstant, 'not a real calendar instant');

/** Opaque identifiers from other systems: non-empty, bounded, no control characters. */
export const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/**
 * Money as it arrives from other systems. Deliberately loose (any number): whether an amount is a
 * whole, non-negative, plausible number of won is a business rule, answered with a reason in the
 * decision event rather than by parking the message.
 */
export const wonInput = z.number();

/** Money the platform emits: integer won. */
export const won = z.number().int();

export const traceparentHeader = 'traceparent';
